/**
 * The agent as a stranger gets it, by the README's "Use it in your own service" steps:
 * `npm pack -w agent` in this repository (its prepack builds), the tarball copied into an
 * empty folder outside the repository, a real `npm install` there that takes every
 * dependency from the npm registry, and apps in that folder under `node --import` and
 * `--require`, which cannot reach this repository's node_modules. The commands below are
 * checked to stand in README.md and agent/README.md as they are run, and the ESM server is
 * the README's own code block.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { spawnApp, type RunningApp } from '../helpers/spawn-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'agent/package.json'), 'utf8')) as { version: string }).version;
const TARBALL = `twinkle-agent-${VERSION}.tgz`;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PACKAGE_README = readFileSync(join(ROOT, 'agent/README.md'), 'utf8');

/** The README's steps, in the order the test runs them (`esm` and `cjs` by spawnApp, as `node <flag> @twinkle/agent <file>`). */
const STEPS = {
  pack: 'npm pack -w agent',
  tryIt: `npm init -y && npm install ./${TARBALL} hono@4 @hono/node-server@2`,
  install: `npm install ./${TARBALL}`,
  esm: 'node --import @twinkle/agent server.mjs',
  cjs: 'node --require @twinkle/agent server.cjs',
  doctor: 'npx twinkle-agent doctor',
};

/** A README's sample server: the first `js` block after `heading`. */
function sampleServer(readme: string, heading = '## Use it in your own service'): string {
  const at = readme.indexOf(`\n${heading}\n`);
  const block = at === -1 ? null : /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (block === null) throw new Error(`no js block under "${heading}"`);
  return block[1]!;
}

/** A CommonJS app with the same routes, and where its packages were loaded from. */
const CJS_SERVER = `const { serve } = require('@hono/node-server');
const { Hono } = require('hono');
const { withSettlement } = require('@twinkle/agent/api');

const app = new Hono();
app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
app.post('/items/:id/settle', async (c) => c.json(await withSettlement('direct', async () => ({ settled: true }))));
app.get('/where', (c) => c.json({ agent: require.resolve('@twinkle/agent'), api: require.resolve('@twinkle/agent/api'), hono: require.resolve('hono') }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => console.error('listening on ' + info.port));
`;

/** A consumer of the typed API: it must compile, and the expect-error line must be an error. */
const TYPED_CONSUMER = `import { getRequestId, startSettlement, withSettlement, type SettlementType } from '@twinkle/agent/api';

const type: SettlementType = 'subscription';
const receipt: { ok: boolean } = await withSettlement(type, async (settlement) => {
  settlement.markPending();
  return { ok: true };
});
startSettlement('paywall').end('failure', new Error(String(receipt.ok)));
const id: string | undefined = getRequestId();
// @ts-expect-error: 'refund' is not a settlement type
startSettlement('refund');
export { id };
`;

/** An environment for npm and node in the folder: nothing of the npm run that started the tests, no NODE_PATH or NODE_OPTIONS. */
function outsideEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_/i.test(k) || ['NODE_PATH', 'NODE_OPTIONS', 'INIT_CWD'].includes(k) || k.startsWith('OTEL_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs a shell command as a person types it; rejects with its output when it fails. */
function sh(command: string, cwd: string, env = outsideEnv(), timeoutMs = 300_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} (in ${cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

let folder: string;
let app: RunningApp | undefined;
let receiver: OtlpReceiver | undefined;
const LISTENING = /listening on (\d+)/;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'twinkle-outside-'));
  // Outside the repository: no node_modules of ours on the way up from it.
  expect(relative(ROOT, folder).startsWith('..')).toBe(true);
  let packed: string;
  try {
    const { stdout } = await sh(STEPS.pack, ROOT);
    packed = stdout.trim().split('\n').at(-1)!;
  } finally {
    // The tarball lands in the repository root: move it out whatever happened.
    try {
      renameSync(join(ROOT, TARBALL), join(folder, TARBALL));
    } catch {
      // not written
    }
  }
  expect(packed).toBe(TARBALL);
  await sh(STEPS.tryIt, folder);
  writeFileSync(join(folder, 'server.mjs'), sampleServer(README));
  writeFileSync(join(folder, 'server.cjs'), CJS_SERVER);
}, 600_000);

afterEach(async () => {
  await app?.stop();
  await receiver?.close();
  app = undefined;
  receiver = undefined;
});

afterAll(() => {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

describe('the packed agent in an app outside the repository', () => {
  it('is what both READMEs say: the same commands and the same sample server', () => {
    for (const step of Object.values(STEPS)) {
      expect(README).toContain(step);
      expect(PACKAGE_README).toContain(step);
    }
    expect(sampleServer(PACKAGE_README, '## Try it')).toBe(sampleServer(README));
  });

  it('installs from the registry alone: a tarball with README, LICENSE, CHANGELOG and types, and nothing of the workspace', async () => {
    const { stdout } = await sh('tar -tzf ' + TARBALL, folder);
    const files = stdout.split('\n').filter(Boolean);
    for (const file of ['package/README.md', 'package/LICENSE', 'package/CHANGELOG.md', 'package/package.json', 'package/dist/preload.js', 'package/dist/register.bundle.js', 'package/dist/api.d.ts', 'package/dist/semconv/index.d.ts', 'package/bin/twinkle-agent.cjs']) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.includes('.v8-cache'))).toEqual([]);
    // Every source map carries its sources (the package ships no src/).
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(folder, 'node_modules/@twinkle/agent', map.slice('package/'.length)), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(sourcesContent!.every((c) => typeof c === 'string'), map).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(folder, 'node_modules/@twinkle/agent/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).filter((d) => d.startsWith('@twinkle/'))).toEqual([]);
    // Everything installed lives in the folder, and no workspace package is there.
    const { stdout: parseable } = await sh('npm ls --all --parseable', folder);
    const paths = parseable.split('\n').filter(Boolean);
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) expect(path.startsWith(folder), path).toBe(true);
    expect(paths.filter((p) => p.includes('@twinkle/') && !p.endsWith('@twinkle/agent'))).toEqual([]);
    await expect(sh(`node -e "require.resolve('@twinkle/semconv')"`, folder)).rejects.toThrow(/Cannot find module '@twinkle\/semconv'/);
  });

  it('runs the README server under --import (ESM): route labels, the settlement API, the access line and one span at a real receiver', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp(join(folder, 'server.mjs'), {
      cwd: folder,
      node: process.execPath,
      nodeArgs: ['--import', '@twinkle/agent'],
      listening: LISTENING,
      env: { PORT: '0', NODE_PATH: undefined, OTEL_SERVICE_NAME: 'outside-esm', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    const res = await fetch(`${app.url}/payments/7`);
    expect(await res.json()).toEqual({ id: '7' });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).not.toBeNull();
    expect((await fetch(`${app.url}/payments/7/settle`, { method: 'POST' })).status).toBe(200);
    const s = await scrape(app.url);
    expect(valueOf(s, 'http_requests_total', { method: 'GET', route: '/payments/:id', status_code: '200' })).toBe(1);
    expect(valueOf(s, 'http_requests_total', { method: 'POST', route: '/payments/:id/settle', status_code: '200' })).toBe(1);
    expect(valueOf(s, 'twinkle_settlements_total', { status: 'success', type: 'paywall' })).toBe(1);
    const spans = await receiver.waitFor((all) => all.some((span) => span.kind === 2 && span.attributes['twinkle.request_id'] === requestId));
    const server = spans.find((span) => span.attributes['twinkle.request_id'] === requestId)!;
    expect(server).toMatchObject({ name: 'GET /payments/:id', attributes: { 'http.route': '/payments/:id' }, resource: { 'service.name': 'outside-esm' } });
    await expect.poll(() => app!.jsonLines().find((l) => l.reqId === requestId)).toMatchObject({ level: 30, path: '/payments/7', status: 200, msg: 'Request completed' });
    expect(app.agentLines().map((l) => l.msg)).toEqual([expect.stringMatching(/^agent started: metrics \/metrics on the app's own port, traces otlp /)]);
  });

  it.each(['--import', '--require'])('runs a CommonJS app under %s, every package loaded from the folder', async (flag) => {
    app = await spawnApp(join(folder, 'server.cjs'), { cwd: folder, node: process.execPath, nodeArgs: [flag, '@twinkle/agent'], listening: LISTENING, env: { PORT: '0', NODE_PATH: undefined } });
    const where = (await (await fetch(`${app.url}/where`)).json()) as Record<string, string>;
    for (const [name, path] of Object.entries(where)) expect(path.startsWith(join(folder, 'node_modules')), `${name}: ${path}`).toBe(true);
    expect(await (await fetch(`${app.url}/items/3`)).json()).toEqual({ id: '3' });
    expect((await fetch(`${app.url}/items/3/settle`, { method: 'POST' })).status).toBe(200);
    const s = await scrape(app.url);
    expect(valueOf(s, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '200' })).toBe(1);
    expect(valueOf(s, 'twinkle_settlements_total', { status: 'success', type: 'direct' })).toBe(1);
    expect(app.agentLines().map((l) => l.msg)).toEqual([expect.stringMatching(/^agent started: /)]);
  });

  it('has a doctor that finds Hono in the folder and the endpoint answering', async () => {
    receiver = await startOtlpReceiver();
    const { stdout } = await sh(`${STEPS.doctor} --json`, folder, outsideEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }));
    const report = JSON.parse(stdout) as { node: { supported: boolean }; folder: string; libraries: Array<{ library: string; version?: string; ok: boolean }>; problems: string[] };
    expect(report.problems).toEqual([]);
    expect(report.node.supported).toBe(true);
    expect(report.folder).toBe(folder);
    expect(report.libraries.find((l) => l.library === 'hono')).toMatchObject({ version: expect.stringMatching(/^4\./), ok: true });
  });

  it('gives TypeScript the typed API: a consumer compiles, and a wrong settlement type does not', async () => {
    writeFileSync(join(folder, 'consumer.mts'), TYPED_CONSUMER);
    writeFileSync(
      join(folder, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.mts'] }),
    );
    // The repository's compiler, run on the folder's project: it resolves the folder's packages.
    await sh(`${join(ROOT, 'node_modules/.bin/tsc')} -p tsconfig.json`, folder);
    writeFileSync(join(folder, 'consumer.mts'), TYPED_CONSUMER.replace('// @ts-expect-error: ', '// '));
    await expect(sh(`${join(ROOT, 'node_modules/.bin/tsc')} -p tsconfig.json`, folder)).rejects.toThrow(/"refund"/);
  });
});
