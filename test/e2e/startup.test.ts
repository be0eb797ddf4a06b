import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_HTTP_REQUESTS, ROUTE_UNMATCHED } from '@twinkle/semconv';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { FIXTURES, spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

const REQUESTS = METRIC_HTTP_REQUESTS.name;
let running: RunningApp[] = [];
let receiver: OtlpReceiver | undefined;

async function start(...args: Parameters<typeof spawnApp>): Promise<RunningApp> {
  const app = await spawnApp(...args);
  running.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(running.map((a) => a.stop()));
  running = [];
  await receiver?.close();
  receiver = undefined;
});

async function text(app: RunningApp, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(app.url + path);
  return { status: res.status, body: await res.text() };
}

function agentLines(app: RunningApp): Array<Record<string, unknown>> {
  return app.agentLines();
}

/** A second installed copy of the agent (another node_modules), which the module cache does not dedupe. */
const AGENT_COPY = fileURLToPath(new URL('../.tmp/agent-copy/', import.meta.url));

beforeAll(() => {
  rmSync(AGENT_COPY, { recursive: true, force: true });
  mkdirSync(AGENT_COPY, { recursive: true });
  cpSync(fileURLToPath(new URL('../../agent/dist/', import.meta.url)), AGENT_COPY, { recursive: true });
  // An installed copy comes with its package.json: the agent's dist is CommonJS.
  writeFileSync(`${AGENT_COPY}package.json`, JSON.stringify({ name: '@twinkle/agent', type: 'commonjs' }));
});

describe('agent start-up', () => {
  it('starts once and says so in one line', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT });
    const lines = agentLines(app);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, pid: app.child.pid, service: 'unknown_service:node' });
    // On stderr: the host's stdout is the host's.
    expect(app.stderrJsonLines()).toEqual(lines);
    expect(app.stdoutLines()).toEqual([]);
    expect(String(lines[0].msg)).toMatch(/^agent started: metrics \/metrics on the app's own port, traces none$/);
    expect(await (await fetch(app.url + '/__introspect')).json()).toEqual({ emitPatched: true, useWrapped: true });
  });

  it('writes its own lines to stdout with TWINKLE_DIAGNOSTICS=stdout, and nowhere with off', async () => {
    const onStdout = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { TWINKLE_DIAGNOSTICS: 'stdout', LOG_LEVEL: 'loud' } });
    await expect.poll(() => onStdout.jsonLines().filter((l) => l.name === '@twinkle/agent').length).toBe(2);
    expect(onStdout.jsonLines().map((l) => l.msg)).toEqual([
      'LOG_LEVEL="loud" is not valid (accepted: trace, debug, info, warn, error, fatal, silent); using info',
      expect.stringMatching(/^agent started: /),
    ]);
    expect(onStdout.stderr().trim()).toBe(`LISTENING ${onStdout.port}`);
    const off = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { TWINKLE_DIAGNOSTICS: 'off', LOG_LEVEL: 'loud' } });
    await (await fetch(`${off.url}/payments/1`)).arrayBuffer();
    // The access log still goes to stdout (LOG_DESTINATION); the agent's own lines nowhere.
    await expect.poll(() => off.jsonLines().some((l) => l.msg === 'Request completed')).toBe(true);
    expect(off.agentLines()).toEqual([]);
    expect(off.stderr().trim()).toBe(`LISTENING ${off.port}`);
  });

  it('leaves the app exactly as without the agent when OTEL_SDK_DISABLED=true', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_SDK_DISABLED: 'true' } });
    const bare = await start('app.mjs', { nodeArgs: [] });
    expect(await (await fetch(app.url + '/__introspect')).json()).toEqual({ emitPatched: false, useWrapped: false });
    // /metrics is the app's own 404, byte for byte what the bare app answers.
    expect(await text(app, '/metrics')).toEqual(await text(bare, '/metrics'));
    expect(await text(app, '/metrics')).toEqual({ status: 404, body: '404 Not Found' });
    expect(app.stdoutLines()).toEqual([]);
  });

  it.each([
    ['--import twice', [...WITH_AGENT, ...WITH_AGENT], {}],
    ['--require and --import', ['--require', '@twinkle/agent', ...WITH_AGENT], {}],
    ['--import and an import in the app', WITH_AGENT, { FIXTURE_IMPORT_AGENT: '1' }],
    ['from two installed copies', ['--require', AGENT_COPY + 'register.js', ...WITH_AGENT], {}],
  ])('starts one SDK and counts each request once when preloaded %s', async (_name, nodeArgs, env) => {
    const app = await start('app.mjs', { nodeArgs, env });
    for (let i = 0; i < 5; i++) await (await fetch(`${app.url}/payments/${i}`)).arrayBuffer();
    const s = await scrape(app.url);
    expect(valueOf(s, REQUESTS, { method: 'GET', route: '/payments/:id', status_code: '200' })).toBe(5);
    expect(valueOf(s, 'http_request_duration_seconds_count', { route: '/payments/:id' })).toBe(5);
    expect(agentLines(app).filter((l) => String(l.msg).startsWith('agent started'))).toHaveLength(1);
    // The second load is silent: no "already registered" error from a second start.
    expect(agentLines(app).filter((l) => Number(l.level) >= 40)).toEqual([]);
  });

  it('runs the app uninstrumented and says why once when the agent cannot start', async () => {
    const app = await start('app.mjs', { nodeArgs: ['--require', FIXTURES + 'preload-other-otel.cjs', ...WITH_AGENT] });
    const lines = agentLines(app);
    expect(lines).toHaveLength(1);
    expect(lines[0].level).toBe(50);
    expect(String(lines[0].msg)).toBe(
      'agent disabled: another OpenTelemetry setup is already registered (context); the app runs uninstrumented',
    );
    expect(await text(app, '/payments/1')).toEqual({ status: 200, body: '{"id":"1"}' });
    expect((await text(app, '/metrics')).status).toBe(404);
    // Whatever was installed before the failure was undone.
    expect(await (await fetch(app.url + '/__introspect')).json()).toMatchObject({ emitPatched: false });
  });
});

describe('bad configuration values', () => {
  it('warns once for OTEL_EXPORTER_PROMETHEUS_PORT=abc and serves /metrics on the app port', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_EXPORTER_PROMETHEUS_PORT: 'abc' } });
    const warnings = agentLines(app).filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      'OTEL_EXPORTER_PROMETHEUS_PORT="abc" is not valid (accepted: an integer from 0 to 65535); using the default',
    ]);
    await (await fetch(app.url + '/payments/1')).arrayBuffer();
    const s = await scrape(app.url);
    expect(valueOf(s, REQUESTS, { route: '/payments/:id' })).toBe(1);
  });

  it('warns once for OTEL_TRACES_SAMPLER_ARG=7 and samples with the default ratio 1', async () => {
    receiver = await startOtlpReceiver();
    const app = await start('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '7',
      },
    });
    const warnings = agentLines(app).filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      'OTEL_TRACES_SAMPLER_ARG="7" is not valid (accepted: a number from 0 to 1); using 1',
    ]);
    for (let i = 0; i < 10; i++) await (await fetch(`${app.url}/payments/${i}`)).arrayBuffer();
    const spans = await receiver.waitFor((s) => s.filter((x) => x.name === 'GET /payments/:id').length === 10);
    expect(spans.filter((x) => x.name === 'GET /payments/:id')).toHaveLength(10);
  });

  it('warns once for OTEL_SDK_DISABLED=maybe and runs enabled', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_SDK_DISABLED: 'maybe' } });
    const warnings = agentLines(app).filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual(['OTEL_SDK_DISABLED="maybe" is not valid (accepted: true or false); using false']);
    await (await fetch(app.url + '/nope')).arrayBuffer();
    expect(valueOf(await scrape(app.url), REQUESTS, { route: ROUTE_UNMATCHED })).toBe(1);
  });
});
