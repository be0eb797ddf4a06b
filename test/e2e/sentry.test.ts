import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendRequests } from '../helpers/load.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { eventMessage, startSentryReceiver, type SentryReceiver } from '../helpers/sentry-receiver.js';
import { freePort } from '../helpers/loopback-server.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const SERVER = 2;
const PK = `0x${'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'}`;

function otel(receiver: OtlpReceiver): Record<string, string> {
  return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
}

describe('Sentry on the agent', () => {
  let sentry: SentryReceiver;
  let otlp: OtlpReceiver;
  let app: RunningApp;

  beforeAll(async () => {
    sentry = await startSentryReceiver();
    otlp = await startOtlpReceiver();
    app = await spawnApp('sentry-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { ...otel(otlp), SENTRY_DSN: sentry.dsn, SENTRY_ENVIRONMENT: 'test', SENTRY_RELEASE: 'twinkle@1.2.3', OTEL_SERVICE_NAME: 'sentry-fixture', FIXTURE_SECRET: PK },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await sentry?.close();
    await otlp?.close();
  });

  const serverSpanOf = async (path: string) =>
    (await otlp.waitFor((s) => s.some((x) => x.kind === SERVER && x.attributes['url.path'] === path))).find(
      (x) => x.kind === SERVER && x.attributes['url.path'] === path,
    )!;

  it("captures an error the app's onError turned into a 500, with the request's trace id and tags", async () => {
    const res = await fetch(`${app.url}/throw/1`, { headers: { 'x-request-id': 'sentry-req-1' } });
    expect(await res.json()).toEqual({ error: 'internal', handledBy: 'app.onError' });
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x).startsWith('boom in handler')));
    const event = events.find((x) => eventMessage(x).startsWith('boom in handler'))!;
    const span = await serverSpanOf('/throw/1');
    expect(event.contexts.trace.trace_id).toBe(span.traceId);
    expect(event.contexts.trace.span_id).toBe(span.spanId);
    expect(event.tags).toMatchObject({ service: 'sentry-fixture', route: '/throw/:id', request_id: 'sentry-req-1' });
    expect(event.environment).toBe('test');
    expect(event.release).toBe('twinkle@1.2.3');
    // The planted key in the error message is scrubbed; the stack is kept.
    expect(eventMessage(event)).toBe('boom in handler 1 with key [REDACTED]');
    expect(event.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
  });

  it('captures a 5xx answered without an exception', async () => {
    expect((await fetch(`${app.url}/status/503`)).status).toBe(503);
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x) === 'HTTP 503 GET /status/:code'));
    const event = events.find((x) => eventMessage(x) === 'HTTP 503 GET /status/:code')!;
    expect(event.tags.route).toBe('/status/:code');
    expect(event.contexts.twinkle.request).toMatchObject({ method: 'GET', route: '/status/:code', status: 503 });
  });

  it('does not capture 4xx answers', async () => {
    expect((await fetch(`${app.url}/status/404`)).status).toBe(404);
    expect((await fetch(`${app.url}/status/499`)).status).toBe(499);
    // A 5xx after them is captured and sent after whatever they would have made.
    expect((await fetch(`${app.url}/status/504`)).status).toBe(504);
    await sentry.waitFor((e) => e.some((x) => eventMessage(x) === 'HTTP 504 GET /status/:code'));
    expect(sentry.events.some((x) => /HTTP 4\d\d/.test(eventMessage(x)))).toBe(false);
  });

  it('captures a settlement failure recorded through the API, with its type and the trace id', async () => {
    expect((await fetch(`${app.url}/settle/direct`, { method: 'POST' })).status).toBe(422);
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x).startsWith('settlement reverted')));
    const event = events.find((x) => eventMessage(x).startsWith('settlement reverted'))!;
    expect(event.contexts.twinkle.settlement).toEqual({ type: 'direct' });
    const span = await serverSpanOf('/settle/direct');
    expect(event.contexts.trace.trace_id).toBe(span.traceId);
    expect(event.tags.route).toBe('/settle/:type');
  });

  it('reports captureError(error, context) with the context scrubbed', async () => {
    const res = await fetch(`${app.url}/capture`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: 'manual with Bearer abc.def.ghi',
        context: { tool: 'settlement', requestId: '0xfeed', privateKey: PK, rpcUrl: 'https://eth.example.com/v2/RPCKEY123', nested: { password: 'pw-123456' } },
      }),
    });
    expect(await res.json()).toEqual({ captured: true });
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x).startsWith('manual with')));
    const event = events.find((x) => eventMessage(x).startsWith('manual with'))!;
    expect(eventMessage(event)).toBe('manual with Bearer [REDACTED]');
    expect(event.contexts.twinkle).toEqual({
      tool: 'settlement',
      requestId: '0xfeed',
      privateKey: '[REDACTED]',
      rpcUrl: 'https://eth.example.com/v2/[REDACTED]',
      nested: { password: '[REDACTED]' },
    });
  });

  it('captures a 1 MB message and a cyclic context, cut, without crashing', async () => {
    expect(await (await fetch(`${app.url}/big`)).json()).toEqual({ captured: true });
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x).startsWith('huge ')));
    const event = events.find((x) => eventMessage(x).startsWith('huge '))!;
    expect(eventMessage(event).length).toBeLessThan(10_000);
    expect(JSON.stringify(event.contexts.twinkle)).toContain('[Circular]');
    expect((await fetch(`${app.url}/ok/1`)).status).toBe(200);
  });

  it('parses an envelope the transport sent gzip-compressed', async () => {
    expect(await (await fetch(`${app.url}/large-context`)).json()).toEqual({ captured: true });
    const events = await sentry.waitFor((e) => e.some((x) => eventMessage(x) === 'large context'));
    expect(events.find((x) => eventMessage(x) === 'large context')!.contexts.twinkle.items).toHaveLength(60);
    expect(sentry.headers.some((h) => h['content-encoding'] === 'gzip')).toBe(true);
  });

  it("sends Sentry's own requests without spans or trace headers", async () => {
    expect(sentry.headers.length).toBeGreaterThan(0);
    for (const h of sentry.headers) {
      expect(h.traceparent).toBeUndefined();
      expect(h['sentry-trace']).toBeUndefined();
    }
    const port = new URL(sentry.dsn).port;
    await new Promise((r) => setTimeout(r, 1200));
    expect(otlp.spans.some((s) => String(s.attributes['url.full'] ?? '').includes(`:${port}`))).toBe(false);
    expect(otlp.spans.some((s) => s.attributes['server.port'] === Number(port))).toBe(false);
  });

  it('never lets the planted secrets out', () => {
    for (const body of [...sentry.bodies, ...otlp.bodies, app.stdoutLines().join('\n')]) {
      for (const secret of [PK.slice(2), 'RPCKEY123', 'pw-123456', 'abc.def.ghi']) expect(body).not.toContain(secret);
    }
  });
});

describe('process-level errors', () => {
  let sentry: SentryReceiver;
  beforeAll(async () => {
    sentry = await startSentryReceiver();
  });
  afterAll(async () => {
    await sentry?.close();
  });

  it('captures an uncaught exception, then the process exits as Node would (code 1)', async () => {
    const app = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: sentry.dsn } });
    await (await fetch(`${app.url}/uncaught`)).text();
    await sentry.waitFor((e) => e.some((x) => eventMessage(x) === 'uncaught boom'));
    const exit = await new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    expect(exit).toBe(1);
    const event = sentry.events.find((x) => eventMessage(x) === 'uncaught boom')!;
    expect(event.level).toBe('fatal');
    expect(event.exception.values[0].mechanism.handled).toBe(false);
  });

  it("captures an unhandled rejection and ends the process under Node's default mode", async () => {
    const app = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: sentry.dsn } });
    await (await fetch(`${app.url}/reject`)).text();
    await sentry.waitFor((e) => e.some((x) => eventMessage(x) === 'rejected boom'));
    const exit = await new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    expect(exit).toBe(1);
  });

  it('captures an unhandled rejection and keeps serving under --unhandled-rejections=warn', async () => {
    const before = sentry.events.filter((x) => eventMessage(x) === 'rejected boom').length;
    const app = await spawnApp('sentry-app.mjs', { nodeArgs: ['--unhandled-rejections=warn', ...WITH_AGENT], env: { SENTRY_DSN: sentry.dsn } });
    try {
      await (await fetch(`${app.url}/reject`)).text();
      await sentry.waitFor((e) => e.filter((x) => eventMessage(x) === 'rejected boom').length > before);
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${app.url}/ok/1`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});


describe('a Sentry DSN or endpoint that is bad', () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('says SENTRY_DSN=not-a-dsn is invalid once, serves, and sends nothing', async () => {
    app = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: 'not-a-dsn' } });
    expect((await fetch(`${app.url}/throw/1`)).status).toBe(500);
    expect(await (await fetch(`${app.url}/capture`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).json()).toEqual({
      captured: false,
    });
    const warnings = app.logLines().filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual(['SENTRY_DSN is not valid (accepted: https://<public key>@<host>/<project id>); Sentry stays off']);
  });

  it.each([['refuses connections'], ['never answers']])(
    'when the endpoint %s: requests are served, and SIGTERM still ends the process within its bound',
    async (mode) => {
      const hanging = mode === 'never answers' ? await startSentryReceiver({ hang: true }) : undefined;
      const dsn = hanging?.dsn ?? `http://publickey0123@127.0.0.1:${await freePort()}/42`;
      app = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: dsn } });
      try {
        const statuses = await sendRequests((i) => `${app!.url}/${i % 10 === 0 ? 'throw' : 'ok'}/${i}`, 2000, 32);
        expect(statuses.get(200)).toBe(1800);
        expect(statuses.get(500)).toBe(200);
        // The agent's bound is 5 s; the helper would SIGKILL at 10 s.
        const exit = await app.stop('SIGTERM');
        expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
        app = undefined;
      } finally {
        await hanging?.close();
      }
    },
  );
});

describe('a Sentry endpoint that never answers, under load', () => {
  it('keeps memory bounded: queued events are capped, not kept', async () => {
    const hanging = await startSentryReceiver({ hang: true });
    const answering = await startSentryReceiver();
    const hung = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: hanging.dsn, LOG_LEVEL: 'warn' } });
    const ok = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { SENTRY_DSN: answering.dsn, LOG_LEVEL: 'warn' } });
    const rss = (a: RunningApp): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${a.child.pid}/status`, 'utf8'))![1]) / 1024;
    try {
      // Every request fails with a distinct error: 4,000 events each. Kept in memory, the
      // hung side would hold them all (a few KB each, ~10+ MB); Sentry's transport caps
      // what waits to be sent.
      const [a, b] = await Promise.all([
        sendRequests((i) => `${hung.url}/throw/${i}`, 4000, 32),
        sendRequests((i) => `${ok.url}/throw/${i}`, 4000, 32),
      ]);
      expect(a.get(500)).toBe(4000);
      expect(b.get(500)).toBe(4000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(rss(hung) - rss(ok)).toBeLessThan(40);
    } finally {
      await hung.stop('SIGKILL');
      await ok.stop();
      await hanging.close();
      await answering.close();
    }
  });
});

describe('SIGTERM during load', () => {
  it('delivers the spans and events of finished requests and exits as SIGTERM does', async () => {
    const sentry = await startSentryReceiver();
    const otlp = await startOtlpReceiver();
    const app = await spawnApp('sentry-app.mjs', { nodeArgs: WITH_AGENT, env: { ...otel(otlp), SENTRY_DSN: sentry.dsn } });
    try {
      const finished: string[] = [];
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          const path = i % 5 === 0 ? `/throw/${i}` : `/ok/${i}`;
          try {
            const res = await fetch(app.url + path, { headers: { 'x-request-id': `load-${i}` } });
            await res.arrayBuffer();
            finished.push(`load-${i}`);
          } catch {
            break;
          }
        }
      })();
      await expect.poll(() => finished.length, { timeout: 30_000 }).toBeGreaterThan(20);
      // Requests answered before the signal: without the agent, SIGTERM would end the process at once.
      const before = [...finished];
      const exit = await app.stop('SIGTERM');
      stop = true;
      await load;
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(before.length).toBeGreaterThan(20);
      const spanIds = new Set(otlp.spans.filter((s) => s.kind === SERVER).map((s) => s.attributes['twinkle.request_id']));
      expect(before.filter((id) => !spanIds.has(id))).toEqual([]);
      const eventIds = new Set(sentry.events.map((e) => e.tags?.request_id));
      expect(before.filter((x) => Number(x.slice(5)) % 5 === 0 && !eventIds.has(x))).toEqual([]);
    } finally {
      await sentry.close();
      await otlp.close();
    }
  });
});

describe('SIGTERM with a handler of the app', () => {
  it('only flushes: the app decides how the process ends', async () => {
    const otlp = await startOtlpReceiver();
    // app.mjs closes its server on SIGTERM and lets the process end by itself (code 0).
    const app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: otel(otlp) });
    try {
      for (let i = 0; i < 20; i++) await (await fetch(`${app.url}/payments/${i}`)).arrayBuffer();
      expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(otlp.spans.filter((s) => s.kind === SERVER && s.name === 'GET /payments/:id')).toHaveLength(20);
    } finally {
      await otlp.close();
    }
  });
});
