/**
 * A third-party test runner's children under the agent (`NODE_OPTIONS="--import
 * @twinkle/agent"`, as a user sets it for a whole shell): node:test runs each file in a
 * child process and reads the child's stdout as its protocol. Results, exit code and
 * output must be what they are without the agent.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/loopback-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { APP_NODE } from '../helpers/spawn-app.js';

const PROJECT = fileURLToPath(new URL('../.tmp/runner-project/', import.meta.url));

beforeAll(() => {
  rmSync(PROJECT, { recursive: true, force: true });
  mkdirSync(PROJECT, { recursive: true });
  writeFileSync(
    `${PROJECT}math.test.mjs`,
    [
      "import { test } from 'node:test';",
      "import assert from 'node:assert';",
      "test('adds', () => { console.log('adding 1 and 2'); assert.strictEqual(1 + 2, 3); });",
      "test('fails on purpose', () => { assert.strictEqual(2 * 2, 5); });",
      "test('waits', async () => { await new Promise((r) => setTimeout(r, 20)); });",
    ].join('\n'),
  );
  writeFileSync(
    `${PROJECT}trace.test.mjs`,
    [
      "import { test } from 'node:test';",
      "import { trace } from '@opentelemetry/api';",
      "test('makes a span', () => { trace.getTracer('t').startActiveSpan('work', (s) => { process.stdout.write('inside a span\\n'); s.end(); }); });",
    ].join('\n'),
  );
});

/** `node --test` in the project, TAP on stdout, with `NODE_OPTIONS` and `env` as given. */
function runTests(nodeOptions: string | undefined, extraEnv: Record<string, string> = {}): Promise<{ status: number | null; tap: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS' && !k.startsWith('TWINKLE_')) env[k] = v;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  Object.assign(env, extraEnv);
  const child = spawn(APP_NODE, ['--test', '--test-reporter=tap', '--test-concurrency=1'], { cwd: PROJECT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  return new Promise((resolve) => {
    child.on('close', (status) => {
      // Durations differ from run to run; nothing else may.
      const tap = stdout
        .split('\n')
        .filter((l) => !/^\s*duration_ms:/.test(l) && !/^# duration_ms/.test(l))
        .join('\n');
      resolve({ status, tap });
    });
  });
}

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe('node:test children under NODE_OPTIONS="--import @twinkle/agent"', () => {
  it('report the same results and output as without the agent, their spans sent to a collector', async () => {
    receiver = await startOtlpReceiver();
    const bare = await runTests(undefined);
    const traced = await runTests('--import @twinkle/agent', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'tests' });
    const metricsOnly = await runTests('--import @twinkle/agent', { OTEL_TRACES_EXPORTER: 'none' });
    expect(bare.status).toBe(1);
    expect(bare.tap).toContain('# pass 3');
    expect(bare.tap).toContain('# fail 1');
    expect(bare.tap).toContain('adding 1 and 2');
    expect(bare.tap).toContain('inside a span');
    expect(traced.status).toBe(bare.status);
    expect(traced.tap).toBe(bare.tap);
    expect(metricsOnly.status).toBe(bare.status);
    expect(metricsOnly.tap).toBe(bare.tap);
    // Sent before each child exited.
    expect(receiver.spans.map((s) => s.name)).toEqual(['work']);
  });

  it('add only the agent\'s one warning per child that made spans, when nothing listens at the endpoint', async () => {
    const bare = await runTests(undefined);
    const port = await freePort();
    const nowhere = await runTests('--import @twinkle/agent', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(nowhere.status).toBe(bare.status);
    const added = nowhere.tap.split('\n').filter((l) => !bare.tap.split('\n').includes(l));
    expect(added).toEqual([expect.stringMatching(/^# \{"level":40,.*"name":"@twinkle\/agent","msg":"span export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: connect ECONNREFUSED/)]);
  });
});
