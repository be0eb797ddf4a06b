/**
 * Processes that end on their own (scripts, jobs) under the agent: their stdout is theirs
 * byte for byte, and their spans, log records and events reach a real receiver before
 * they exit, without holding them longer than the exit flush's bound; a span no
 * serializer could make sense of loses nothing else; nothing the agent sends carries a
 * secret the app's own logger wrote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/loopback-server.js';
import { decodeExportRequest } from '../helpers/otlp-protobuf.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { runScript } from '../helpers/run-script.js';
import { startSentryReceiver } from '../helpers/sentry-receiver.js';
import { WITH_AGENT } from '../helpers/spawn-app.js';

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const exportTo = (url: string, extra: Record<string, string> = {}): Record<string, string> => ({
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_LOGS_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_SERVICE_NAME: 'a-script',
  ...extra,
});

describe('a script that prints JSON and ends on its own', () => {
  it('has the same stdout, byte for byte, with and without the agent', async () => {
    const bare = await runScript('json-script.mjs');
    receiver = await startOtlpReceiver();
    const traced = await runScript('json-script.mjs', { nodeArgs: WITH_AGENT, env: exportTo(receiver.url) });
    const quiet = await runScript('json-script.mjs', { nodeArgs: WITH_AGENT });
    expect(bare.code).toBe(0);
    expect(bare.stdout.toString()).toBe('{"i":0,"square":0}\n{"i":1,"square":1}\n{"i":2,"square":4}\n');
    expect(traced.stdout.equals(bare.stdout)).toBe(true);
    expect(quiet.stdout.equals(bare.stdout)).toBe(true);
    expect([traced.code, quiet.code]).toEqual([0, 0]);
  });

  it('delivers its spans and log records to the receiver before it exits', async () => {
    receiver = await startOtlpReceiver();
    const run = await runScript('json-script.mjs', { nodeArgs: WITH_AGENT, env: exportTo(receiver.url) });
    expect(run.code).toBe(0);
    // Already there when the process has exited: nothing is awaited here.
    const names = receiver.spans.map((s) => s.name).sort();
    expect(names).toEqual(['job', 'row 0', 'row 1', 'row 2']);
    const job = receiver.spans.find((s) => s.name === 'job')!;
    const records = receiver.logs.filter((r) => r.body === 'row done');
    expect(records.map((r) => r.attributes.i).sort()).toEqual([0, 1, 2]);
    for (const record of records) expect(record.traceId).toBe(job.traceId);
    expect(receiver.spans.every((s) => s.resource['service.name'] === 'a-script')).toBe(true);
  });

  it('ends at once when nothing listens at the endpoint, having tried once', async () => {
    const port = await freePort();
    const bare = await runScript('json-script.mjs');
    const run = await runScript('json-script.mjs', { nodeArgs: WITH_AGENT, env: exportTo(`http://127.0.0.1:${port}`) });
    expect(run.code).toBe(0);
    expect(run.stdout.equals(bare.stdout)).toBe(true);
    // No retry and no wait for the bound: the refusal came back at once.
    expect(run.stderr).not.toContain('took longer than');
    expect(run.stderr).toMatch(/span export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: connect ECONNREFUSED/);
  });

  it('is held no longer than TWINKLE_EXIT_FLUSH_TIMEOUT_MS by a receiver that never answers, and says so', async () => {
    receiver = await startOtlpReceiver({ hang: true });
    const run = await runScript('json-script.mjs', {
      nodeArgs: WITH_AGENT,
      env: exportTo(receiver.url, { TWINKLE_EXIT_FLUSH_TIMEOUT_MS: '300', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' }),
    });
    expect(run.code).toBe(0);
    expect(receiver.requests).toBeGreaterThan(0);
    expect(run.stderr).toContain('exit: sending telemetry took longer than 300 ms (TWINKLE_EXIT_FLUSH_TIMEOUT_MS); what was not sent is dropped');
  });

  it('sends a Sentry event captured by a script before it exits', async () => {
    const sentry = await startSentryReceiver();
    try {
      const run = await runScript('json-script.mjs', {
        nodeArgs: WITH_AGENT,
        env: { SENTRY_DSN: sentry.dsn, FIXTURE_CAPTURE_ERROR: '1' },
      });
      expect(run.code).toBe(0);
      expect(sentry.events.map((e) => e.exception?.values?.[0]?.value)).toEqual(['captured by a script']);
    } finally {
      await sentry.close();
    }
  });
});

describe('spans a serializer could make little of', () => {
  it('arrive with every other span of their batch, written as OpenTelemetry writes them', async () => {
    receiver = await startOtlpReceiver();
    const run = await runScript('odd-spans.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    expect(run.code).toBe(0);
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(
      [
        '',
        'a status message that is an object',
        'after',
        'an event named true',
        'before',
        'from a tracer whose name is a number',
        'from a tracer whose version is a number',
        'links with ids that are not hex',
      ].sort(),
    );
    const scopes = receiver.bodies
      .map((b) => decodeExportRequest(Buffer.from(b, 'latin1')))
      .flatMap((t) => (t.resourceSpans as Array<{ scopeSpans: Array<{ scope: { name: string; version?: string }; spans: Array<Record<string, unknown>> }> }>).flatMap((r) => r.scopeSpans));
    expect(Object.fromEntries(scopes.map((s) => [s.scope.name, s.scope.version]))).toEqual({ plain: '1.0.0', lib: '', '': undefined });
    const spans = scopes.flatMap((s) => s.spans) as Array<{ name: string; events: Array<{ name: string }>; links: Array<{ traceId: string; spanId: string }>; status: { message?: string } }>;
    expect(spans.find((s) => s.name === 'an event named true')!.events.map((e) => e.name)).toEqual(['']);
    // The SDK drops a status message that is not a string, and says so.
    expect(spans.find((s) => s.name === 'a status message that is an object')!.status.message).toBeUndefined();
    // OpenTelemetry's hexToBinary arithmetic on characters that are not hex digits.
    const links = spans.find((s) => s.name === 'links with ids that are not hex')!.links;
    expect(links.map((l) => l.traceId.length)).toEqual([32, 32]);
    // "ı" (U+0131) is 305: (250 << 4 | 250) & 255 is 0xfa; Node's own hex decoder would have read it as "1".
    expect(links[0].spanId).toBe('fa'.repeat(8));
    expect(run.stderr).not.toContain('could not be encoded');
  });
});

describe("an app's own pino lines sent as OTLP log records", () => {
  it('leave without the secrets they hold, and stay as the app wrote them on its stdout', async () => {
    receiver = await startOtlpReceiver();
    const run = await runScript('own-pino.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    expect(run.code).toBe(0);
    const secrets = [
      'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
      'header-secret-token',
      'rpc-path-secret',
      'query-secret-42',
      'url-password-secret',
      '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
      'hunter2-secret',
      'nested-token-secret',
    ];
    const records = receiver.logs.filter((r) => r.attributes.name !== '@twinkle/agent');
    expect(records.map((r) => r.body)).toEqual(['calling https://[REDACTED]@rpc.example.com/x', 'redacted by the app']);
    for (const body of receiver.bodies) for (const secret of secrets) expect(body).not.toContain(secret);
    const first = records[0].attributes as Record<string, unknown>;
    expect(first.privateKey).toBe('[REDACTED]');
    expect(first.headers).toEqual({ authorization: '[REDACTED]', accept: 'application/json' });
    expect(first.rpc).toBe('https://eth.example.com/v2/[REDACTED]?apikey=[REDACTED]');
    expect(first.note).toBe('signed with [REDACTED]');
    // A transaction hash under a key that says so is kept.
    expect(first.txHash).toBe('0x5aef0a1d5d3e6b7c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99887766554433221100');
    // pino's own redact, set by the app, still works: in the record (where a field the
    // scrubber would not touch shows pino's mark) and on stdout.
    expect(records[1].attributes).toMatchObject({ password: '[REDACTED]', nested: { token: '[REDACTED]' }, customer: { email: '[Redacted]', id: 7 }, ok: 'visible' });
    // The app's stdout is its own: the agent does not rewrite it (README: "What the agent sends").
    const stdout = run.stdout.toString();
    expect(stdout).toContain('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    expect(stdout).toContain('Bearer header-secret-token');
    expect(stdout).not.toContain('hunter2-secret');
    expect(stdout).toContain('"password":"[Redacted]"');
    expect(stdout).not.toContain('alice@example.com');
  });
});

describe('a settlement that never ends', () => {
  it('is ended as pending when the process runs out of work, and its span arrives', async () => {
    receiver = await startOtlpReceiver();
    const run = await runScript('open-settlement.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    expect(run.code).toBe(0);
    const settlements = receiver.spans.filter((s) => s.name.startsWith('settlement '));
    expect(Object.fromEntries(settlements.map((s) => [s.name, s.attributes['twinkle.settlement.status']]))).toEqual({
      'settlement direct': 'success',
      'settlement paywall': 'pending',
    });
    expect(run.stderr).toContain('1 settlement(s) had not ended when the process ran out of work; recorded as pending');
  });
});
