import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnApp, type RunningApp } from '../helpers/spawn-app.js';

/** An installed copy of the built agent, to change its files freely. */
const COPY = fileURLToPath(new URL('../.tmp/preload-copy/', import.meta.url));
const TMP = fileURLToPath(new URL('../.tmp/preload-tmpdir/', import.meta.url));
const CACHE = `${COPY}.v8-cache/`;

let app: RunningApp | undefined;

beforeEach(() => {
  rmSync(COPY, { recursive: true, force: true });
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  cpSync(fileURLToPath(new URL('../../agent/dist/', import.meta.url)), COPY, { recursive: true });
  rmSync(CACHE, { recursive: true, force: true });
  writeFileSync(`${COPY}package.json`, JSON.stringify({ name: '@twinkle/agent', type: 'commonjs' }));
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(): Promise<RunningApp> {
  app = await spawnApp('app.mjs', { nodeArgs: ['--require', `${COPY}preload.js`], env: { TMPDIR: TMP } });
  return app;
}

async function startAndStop(): Promise<Array<Record<string, unknown>>> {
  const a = await start();
  expect((await fetch(`${a.url}/payments/1`)).status).toBe(200);
  const lines = a.agentLines();
  await a.stop();
  app = undefined;
  return lines;
}

const cacheFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')) : []);

describe('the preload', () => {
  it('runs the bundle and keeps a code cache beside it that the next start reuses', async () => {
    const first = await startAndStop();
    expect(first.map((l) => String(l.msg))).toEqual([expect.stringMatching(/^agent started: /)]);
    const [file] = cacheFiles(CACHE);
    expect(file).toMatch(/^[0-9a-f]{40}\.bin$/);
    expect(statSync(CACHE).mode & 0o777).toBe(0o700);
    const written = statSync(CACHE + file).mtimeMs;
    await startAndStop();
    expect(cacheFiles(CACHE)).toEqual([file]);
    expect(statSync(CACHE + file).mtimeMs).toBe(written);
  });

  it('starts the same when the cache is corrupt, and replaces it', async () => {
    await startAndStop();
    const [file] = cacheFiles(CACHE);
    writeFileSync(CACHE + file, Buffer.alloc(4096, 7));
    const lines = await startAndStop();
    expect(lines.map((l) => String(l.msg))).toEqual([expect.stringMatching(/^agent started: /)]);
    expect(readFileSync(CACHE + file).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it('never reads or writes a cache folder others can write to', async () => {
    mkdirSync(CACHE, { recursive: true });
    chmodSync(CACHE, 0o777);
    await startAndStop();
    expect(cacheFiles(CACHE)).toEqual([]);
    const private_ = readdirSync(TMP).find((d) => d.startsWith('twinkle-agent-v8-cache-'));
    expect(private_).toBeDefined();
    expect(cacheFiles(`${TMP}${private_}/`)).toHaveLength(1);
  });

  it('runs the unbundled agent when there is no bundle', async () => {
    rmSync(`${COPY}register.bundle.js`);
    const lines = await startAndStop();
    expect(lines.map((l) => String(l.msg))).toEqual([expect.stringMatching(/^agent started: /)]);
    expect(cacheFiles(CACHE)).toEqual([]);
  });
});
