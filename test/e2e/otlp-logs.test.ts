/**
 * OTEL_LOGS_EXPORTER=otlp: every pino line (the agent's, the service logger from
 * @twinkle/agent/api, the access log, an app's own pino()) also leaves as an OTLP log
 * record, decoded here from what the real exporter sends, and holds exactly what the
 * stdout line holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendRequests } from '../helpers/load.js';
import { freePort } from '../helpers/loopback-server.js';
import type { DecodedLogRecord } from '../helpers/otlp-protobuf.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

let app: RunningApp | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await app?.stop();
  await receiver?.close();
  app = undefined;
  receiver = undefined;
});

const PRIVATE_KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const BEARER = 'Bearer eyJhbGciOiJIUzI1NiJ9.planted-secret-token';
const SEVERITY: Record<number, number> = { 10: 1, 20: 5, 30: 9, 40: 13, 50: 17, 60: 21 };
const warnings = (a: RunningApp): string[] => a.logLines().filter((l) => l.level === 40).map((l) => String(l.msg));

/** What a record must hold for a stdout line: the line less what the record keeps elsewhere (time, level, ids) or the resource has (hostname, pid). */
function expectedAttributes(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _t, msg: _m, level: _l, hostname: _h, pid: _p, trace_id: _ti, span_id: _si, trace_flags: _tf, ...rest } = line;
  return rest;
}

describe('OTEL_LOGS_EXPORTER=otlp', () => {
  it.each(['http/protobuf', 'http/json'])(
    'sends every line of a request as a log record (%s) with its trace id, scrubbed exactly as the stdout line',
    async (protocol) => {
      receiver = await startOtlpReceiver();
      app = await spawnApp('traced-app.mjs', {
        nodeArgs: WITH_AGENT,
        env: {
          OTEL_SERVICE_NAME: 'logs-e2e',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_LOGS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
      });
      const res = await fetch(`${app.url}/log`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: BEARER, 'x-request-id': `logs-${protocol.slice(5)}` },
        body: JSON.stringify({ from: 'alice', privateKey: PRIVATE_KEY, note: `key 0x${PRIVATE_KEY} here` }),
      });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id')!;
      const spans = await receiver.waitFor((all) => all.some((s) => s.kind === 2 && s.attributes['twinkle.request_id'] === requestId));
      const server = spans.find((s) => s.kind === 2 && s.attributes['twinkle.request_id'] === requestId)!;

      // The service logger's line, the app's own pino line and the access line.
      const records = await receiver.waitForLogs(
        (all) => ['own logger line', 'Request completed'].every((m) => all.some((r) => r.body === m)) && all.some((r) => String(r.body).startsWith('payment from')),
      );
      const ofRequest = (r: DecodedLogRecord): boolean => r.attributes.reqId === requestId || (r.attributes.requestId === requestId);
      const mine = records.filter(ofRequest);
      expect(mine.map((r) => String(r.body).split(' ')[0]).sort()).toEqual(['Request', 'own', 'payment']);
      for (const record of mine) {
        expect(record.traceId, String(record.body)).toBe(server.traceId);
        expect(record.resource['service.name']).toBe('logs-e2e');
      }
      expect(mine.find((r) => r.body === 'Request completed')!.spanId).toBe(server.spanId);
      // The agent's own start-up line went too.
      expect(records.some((r) => String(r.body).startsWith('agent started') && r.attributes.name === '@twinkle/agent')).toBe(true);

      // No planted secret in anything sent.
      for (const body of receiver.bodies) {
        expect(body).not.toContain(PRIVATE_KEY);
        expect(body).not.toContain('planted-secret-token');
      }

      // Each record is its stdout line: same message, same fields, same severity, same ids.
      await expect.poll(() => app!.jsonLines().filter((l) => l.reqId === requestId || l.requestId === requestId).length, { timeout: 5000 }).toBe(3);
      const lines = app.jsonLines().filter((l) => l.reqId === requestId || l.requestId === requestId);
      for (const line of lines) {
        const record = mine.find((r) => r.body === line.msg);
        expect(record, String(line.msg)).toBeDefined();
        expect(record!.attributes).toEqual(expectedAttributes(line));
        expect(record!.severityNumber).toBe(SEVERITY[line.level as number]);
        expect(record!.severityText).toBe('info');
        expect(record!.traceId).toBe(line.trace_id);
        expect(record!.spanId).toBe(line.span_id);
        expect(record!.timeUnixNano).toBe(BigInt(line.time as number) * 1_000_000n);
      }
      const serviceLine = lines.find((l) => String(l.msg).startsWith('payment from'))!;
      expect(JSON.stringify(serviceLine)).toContain('[REDACTED]');
      expect(JSON.stringify(serviceLine)).not.toContain(PRIVATE_KEY);
    },
  );

  it('is off by default: no log record is sent and the logs SDK is not loaded', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    await (await fetch(`${app.url}/payments/1`)).text();
    await receiver.waitFor((all) => all.some((s) => s.kind === 2));
    expect(await (await fetch(`${app.url}/__loaded?has=logs-otlp`)).json()).toEqual([]);
    expect(await (await fetch(`${app.url}/__loaded?has=/sdk-logs/`)).json()).toEqual([]);
    // SIGTERM sends whatever waits before the process ends: a record would be there by now.
    await app.stop();
    expect(receiver.logs).toEqual([]);
  });

  it('says OTEL_LOGS_EXPORTER=kafka is not an exporter, once, and keeps logs on stdout only', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { OTEL_LOGS_EXPORTER: 'kafka', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    await (await fetch(`${app.url}/payments/1`)).text();
    await expect.poll(() => app!.jsonLines().some((l) => l.msg === 'Request completed'), { timeout: 5000 }).toBe(true);
    await receiver.waitFor((all) => all.some((s) => s.kind === 2));
    // SIGTERM sends whatever waits before the process ends: a record would be there by now.
    await app.stop();
    expect(warnings(app)).toEqual(['OTEL_LOGS_EXPORTER="kafka" is not valid (accepted: otlp, none); using none']);
    expect(receiver.logs).toEqual([]);
  });
});

const LOG_EXPORT_WARNING =
  /^log export to http:\/\/127\.0\.0\.1:\d+\/v1\/logs failed: .*; log records are dropped while it fails \(lines are still written; not logged again\)$/;

describe('an OTLP logs endpoint that fails', () => {
  // A short exporter timeout for the refused endpoint; the hanging one keeps OpenTelemetry's
  // 10 s, so a queue that were not bounded would hold most of the load's records.
  const logsEnv = (endpoint: string, timeoutMs = '1000'): Record<string, string> => ({
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${endpoint}/v1/logs`,
    OTEL_EXPORTER_OTLP_TIMEOUT: timeoutMs,
  });

  it('refusing connections: every line is written to stdout, one warning', async () => {
    const port = await freePort();
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: logsEnv(`http://127.0.0.1:${port}`) });
    const statuses = await sendRequests((i) => `${app!.url}/payments/${i}`, 2000, 16);
    expect(statuses.get(200)).toBe(2000);
    // Said at the first failed export, however long the load took...
    await expect.poll(() => warnings(app!).length, { timeout: 30_000 }).toBe(1);
    // ...and not again while the next batches fail.
    await new Promise((r) => setTimeout(r, 3000));
    await expect.poll(() => app!.jsonLines().filter((l) => l.msg === 'Request completed').length, { timeout: 5000 }).toBe(2000);
    const w = warnings(app);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(LOG_EXPORT_WARNING);
    expect(w[0]).toContain(`127.0.0.1:${port}/v1/logs`);
  });

  it('accepting and never answering: every line is written, memory stays bounded, one warning', { timeout: 180_000 }, async () => {
    const measured = [...WITH_AGENT, '--expose-gc'];
    const retainedMb = async (a: RunningApp): Promise<number> => {
      const m = (await (await fetch(`${a.url}/__memory`)).json()) as { collected: boolean; heapUsed: number; external: number };
      expect(m.collected).toBe(true);
      return (m.heapUsed + m.external) / 1048576;
    };
    // The same load with logs on stdout only, as the control: a queue that kept every
    // record until the hung exports time out would retain most of these 20,000 records.
    receiver = await startOtlpReceiver({ hang: true });
    app = await spawnApp('app.mjs', { nodeArgs: measured, env: logsEnv(receiver.url, '10000') });
    const control = await spawnApp('app.mjs', { nodeArgs: measured });
    try {
      const [hung, plain] = await Promise.all([
        sendRequests((i) => `${app!.url}/payments/${i}`, 20_000, 32),
        sendRequests((i) => `${control.url}/payments/${i}`, 20_000, 32),
      ]);
      expect(hung.get(200)).toBe(20_000);
      expect(plain.get(200)).toBe(20_000);
      await new Promise((r) => setTimeout(r, 2500));
      // Bounded (2048 records and the batch in flight): ~3 MB here; unbounded: ~12 MB.
      expect((await retainedMb(app)) - (await retainedMb(control))).toBeLessThan(8);
    } finally {
      await control.stop();
    }
    await expect.poll(() => app!.jsonLines().filter((l) => l.msg === 'Request completed' && String(l.path).startsWith('/payments/')).length, { timeout: 5000 }).toBe(20_000);
    // Said when the first export times out (10 s after it began), whether the load took less or more.
    await expect.poll(() => warnings(app!).length, { timeout: 30_000 }).toBe(1);
    const w = warnings(app);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(LOG_EXPORT_WARNING);
    expect(receiver.requests).toBeGreaterThan(0);
  });
});
