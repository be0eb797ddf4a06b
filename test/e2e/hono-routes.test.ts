import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_TWINKLE_SETTLEMENT_STATUS,
  ATTR_TWINKLE_SETTLEMENT_TYPE,
  METRIC_HTTP_REQUESTS,
  ROUTE_UNMATCHED,
} from '@twinkle/semconv';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { scrape, valueOf } from '../helpers/prometheus-text.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const REQUESTS = METRIC_HTTP_REQUESTS.name;

describe.each([
  { kind: 'ESM', fixture: 'app.mjs' },
  { kind: 'CommonJS', fixture: 'app.cjs' },
])('Hono route names on the server span and the route label ($kind)', ({ fixture }) => {
  let receiver: OtlpReceiver;
  let app: RunningApp;
  let servers: ReceivedSpan[];
  const responses = new Map<string, { status: number; body: string }>();

  const requests: Array<[string, string, RequestInit?]> = [
    ['payments', '/payments/7'],
    ['sub-app', '/v1/items/42'],
    ['boom', '/boom'],
    ['unmatched', '/definitely/not/a/route?token=abc'],
  ];
  if (fixture === 'app.mjs') {
    requests.push(['middleware-401', '/admin/stats'], ['middleware-200', '/admin/stats', { headers: { authorization: 'Bearer ok' } }]);
    requests.push(['settle', '/settle/paywall?outcome=failure', { method: 'POST' }]);
  } else {
    requests.push(['basePath', '/api/orders/9']);
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp(fixture, {
      nodeArgs: WITH_AGENT,
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'hono-fixture',
      },
    });
    for (const [name, path, init] of requests) {
      const res = await fetch(app.url + path, init);
      responses.set(name, { status: res.status, body: await res.text() });
    }
    await fetch(app.url + '/metrics').then((r) => r.text());
    servers = (await receiver.waitFor((s) => s.filter((x) => x.kind === SpanKind.SERVER + 1).length >= requests.length)).filter(
      (x) => x.kind === SpanKind.SERVER + 1,
    );
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  // OTLP numbers span kinds from 1 (INTERNAL); the API's enum starts at 0.
  const byPath = (path: string): ReceivedSpan => {
    const found = servers.filter((s) => s.attributes[ATTR_URL_PATH] === path);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('names the span METHOD /pattern and sets http.route to the registered pattern', () => {
    const span = byPath('/payments/7');
    expect(span.name).toBe('GET /payments/:id');
    expect(span.attributes[ATTR_HTTP_ROUTE]).toBe('/payments/:id');
    expect(span.attributes[ATTR_HTTP_REQUEST_METHOD]).toBe('GET');
    expect(span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(200);
    expect(span.resource['service.name']).toBe('hono-fixture');
  });

  it('includes sub-app prefixes', () => {
    expect(byPath('/v1/items/42').name).toBe('GET /v1/items/:id');
    if (fixture === 'app.cjs') expect(byPath('/api/orders/9').attributes[ATTR_HTTP_ROUTE]).toBe('/api/orders/:orderId');
  });

  it("keeps the app's onError in charge and marks the 5xx span as an error", () => {
    expect(responses.get('boom')).toEqual({ status: 500, body: '{"error":"boom","handledBy":"app.onError"}' });
    const span = byPath('/boom');
    expect(span.name).toBe('GET /boom');
    expect(span.status.code).toBe(2);
  });

  it('never names a span or a label after the raw path of an unmatched request', async () => {
    const span = byPath('/definitely/not/a/route');
    expect(span.name).toBe('GET');
    expect(span.attributes[ATTR_HTTP_ROUTE]).toBeUndefined();
    const s = await scrape(app.url);
    expect(valueOf(s, REQUESTS, { route: ROUTE_UNMATCHED })).toBe(1);
    expect(s.text).not.toContain('definitely');
  });

  it('reports the guarded route when middleware answers first', () => {
    if (fixture !== 'app.mjs') return;
    expect(responses.get('middleware-401')?.status).toBe(401);
    expect(responses.get('middleware-200')?.status).toBe(200);
    const spans = servers.filter((s) => s.attributes[ATTR_URL_PATH] === '/admin/stats');
    expect(spans.map((s) => [s.name, s.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]]).sort()).toEqual([
      ['GET /admin/stats', 200],
      ['GET /admin/stats', 401],
    ]);
  });

  it('opens a settlement span under the server span, with type and status', () => {
    if (fixture !== 'app.mjs') return;
    const server = servers.find((s) => s.attributes[ATTR_URL_PATH] === '/settle/paywall')!;
    expect(server.name).toBe('POST /settle/:type');
    const settlement = receiver.spans.filter((s) => s.name === 'settlement paywall');
    expect(settlement).toHaveLength(1);
    expect(settlement[0].traceId).toBe(server.traceId);
    expect(settlement[0].parentSpanId).toBe(server.spanId);
    expect(settlement[0].attributes).toMatchObject({
      [ATTR_TWINKLE_SETTLEMENT_TYPE]: 'paywall',
      [ATTR_TWINKLE_SETTLEMENT_STATUS]: 'failure',
    });
    expect(settlement[0].status).toMatchObject({ code: 2, message: 'settlement reverted' });
  });

  it('makes no span for a scrape of /metrics', () => {
    expect(servers.some((s) => String(s.attributes[ATTR_URL_PATH]).includes('metrics'))).toBe(false);
    expect(servers).toHaveLength(requests.length);
  });
});
