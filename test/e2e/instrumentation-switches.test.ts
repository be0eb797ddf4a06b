/**
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS with
 * auto-instrumentations-node's names: a contrib instrumentation the agent does not ship
 * (@opentelemetry/instrumentation-redis, for node-redis, against the test Redis) makes
 * spans when named and is not even loaded when not; built-ins switch off by name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { TEST_REDIS_URL } from '../helpers/services.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

let app: RunningApp | undefined;
let receiver: OtlpReceiver | undefined;
let closeDownstream: (() => Promise<void>) | undefined;

afterEach(async () => {
  await app?.stop();
  await receiver?.close();
  await closeDownstream?.();
  app = undefined;
  receiver = undefined;
  closeDownstream = undefined;
});

const SERVER = 2;
const CLIENT = 3;
const REDIS_SCOPE = '@opentelemetry/instrumentation-redis';
const warnings = (a: RunningApp): string[] => a.logLines().filter((l) => l.level === 40).map((l) => String(l.msg));
const tracingTo = (r: OtlpReceiver): Record<string, string> => ({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: r.url, REDIS_URL: TEST_REDIS_URL });

/**
 * Requests /cache/<key> and returns the spans of its trace once its server span and the
 * Redis spans `redisSpans` says to expect have arrived (exports in flight at once may land
 * in any order), however long that takes.
 */
async function cacheRequest(a: RunningApp, r: OtlpReceiver, key: string, redisSpans = 0): Promise<ReceivedSpan[]> {
  const res = await fetch(`${a.url}/cache/${key}`);
  expect(await res.json()).toEqual({ value: 'v' });
  const ofRequest = (spans: ReceivedSpan[]): ReceivedSpan[] => {
    const server = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === `/cache/${key}`);
    return server === undefined ? [] : spans.filter((s) => s.traceId === server.traceId);
  };
  return ofRequest(await r.waitFor((spans) => ofRequest(spans).filter((s) => s.scope === REDIS_SCOPE).length >= redisSpans && ofRequest(spans).length > 0));
}

describe('a contrib instrumentation named in OTEL_NODE_ENABLED_INSTRUMENTATIONS', () => {
  it.each(['contrib-redis-app.mjs', 'contrib-redis-app.cjs'])('makes spans for %s under the server span', async (fixture) => {
    receiver = await startOtlpReceiver();
    app = await spawnApp(fixture, { nodeArgs: WITH_AGENT, env: { ...tracingTo(receiver), OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'redis,http' } });
    const spans = await cacheRequest(app, receiver, 'esm-or-cjs', 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    const redis = spans.filter((s) => s.scope === REDIS_SCOPE);
    expect(redis.map((s) => s.name).sort()).toEqual(['redis-GET', 'redis-SET']);
    for (const s of redis) {
      expect(s.kind).toBe(CLIENT);
      expect(s.parentSpanId).toBe(server.spanId);
      expect(s.attributes['db.system'] ?? s.attributes['db.system.name']).toBe('redis');
    }
    expect(warnings(app)).toEqual([]);
  });

  it('is not loaded, and makes no span, when not named', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('contrib-redis-app.mjs', { nodeArgs: WITH_AGENT, env: tracingTo(receiver) });
    const spans = await cacheRequest(app, receiver, 'unnamed');
    expect(spans.filter((s) => s.kind === SERVER)).toHaveLength(1);
    expect(spans.filter((s) => s.scope === REDIS_SCOPE)).toEqual([]);
    expect(await (await fetch(`${app.url}/__loaded?has=instrumentation-redis`)).json()).toEqual([]);
  });

  it('names that are unknown, not installed or not names: one line each, the rest runs', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('contrib-redis-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        ...tracingTo(receiver),
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'redis, nosuchlib, @opentelemetry/instrumentation-pg',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'kafkajs',
      },
    });
    const spans = await cacheRequest(app, receiver, 'bad-names', 2);
    expect(spans.filter((s) => s.scope === REDIS_SCOPE)).toHaveLength(2);
    expect(warnings(app)).toEqual([
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS="@opentelemetry/instrumentation-pg" is not valid (accepted: names such as http, pg, mysql2 (without the @opentelemetry/instrumentation- prefix)); using the others named',
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS: "kafkajs" is not an instrumentation the agent runs (built in: hono, http, undici, pg, ioredis, pino; others only when named in OTEL_NODE_ENABLED_INSTRUMENTATIONS); ignored',
      expect.stringMatching(
        /^OTEL_NODE_ENABLED_INSTRUMENTATIONS: "nosuchlib" is not built in \(hono, http, undici, pg, ioredis, pino\) and @opentelemetry\/instrumentation-nosuchlib is not installed \(looked from .+\); skipped$/,
      ),
    ]);
  });

  it('with spans not exported, says once that it is not loaded', async () => {
    app = await spawnApp('contrib-redis-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { OTEL_TRACES_EXPORTER: 'none', REDIS_URL: TEST_REDIS_URL, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'redis' },
    });
    expect(await (await fetch(`${app.url}/cache/off`)).json()).toEqual({ value: 'v' });
    expect(warnings(app)).toEqual([
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS: redis make spans only, and spans are not exported (OTEL_TRACES_EXPORTER=none); not loaded',
    ]);
    expect(await (await fetch(`${app.url}/__loaded?has=instrumentation-redis`)).json()).toEqual([]);
  });
});

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  /** The client spans of a traced-app /downstream request (a fetch to a loopback server). */
  async function fetchClientSpans(disabled: string | undefined, expected: number): Promise<ReceivedSpan[]> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"id":"1"}');
    });
    const downstream = { url: await listenOnLoopback(server) };
    closeDownstream = () => closeServer(server);
    receiver = await startOtlpReceiver();
    app = await spawnApp('traced-app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { ...tracingTo(receiver), DOWNSTREAM_URL: downstream.url, OTEL_NODE_DISABLED_INSTRUMENTATIONS: disabled },
    });
    const res = await fetch(`${app.url}/downstream/1`);
    expect(await res.json()).toEqual({ downstream: { id: '1' }, status: 200 });
    // The server span and the client spans expected, whichever export lands first.
    const clientSpans = (spans: ReceivedSpan[]): ReceivedSpan[] | undefined => {
      const root = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/downstream/1');
      return root === undefined ? undefined : spans.filter((s) => s.traceId === root.traceId && s.kind === CLIENT);
    };
    return clientSpans(await receiver.waitFor((spans) => (clientSpans(spans)?.length ?? -1) >= expected))!;
  }

  it('=undici removes the fetch client spans', async () => {
    const withUndici = await fetchClientSpans(undefined, 1);
    expect(withUndici.map((s) => s.scope)).toEqual(['@opentelemetry/instrumentation-undici']);
    await app!.stop();
    await receiver!.close();
    await closeDownstream!();
    app = undefined;
    expect(await fetchClientSpans('undici', 0)).toEqual([]);
    expect(warnings(app!)).toEqual([]);
  });

  it('=hono keeps the HTTP metrics, every request under route="unmatched"', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT, env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'hono' } });
    for (const id of [1, 2, 3]) await (await fetch(`${app.url}/payments/${id}`)).arrayBuffer();
    const s = await scrape(app.url);
    expect(valueOf(s, 'http_requests_total', { method: 'GET', route: 'unmatched', status_code: '200' })).toBe(3);
    expect(valueOf(s, 'http_requests_total', { method: 'GET', route: '/payments/:id', status_code: '200' })).toBeUndefined();
    expect(await (await fetch(`${app.url}/__introspect`)).json()).toMatchObject({ useWrapped: false });
    expect(warnings(app)).toEqual([]);
  });
});
