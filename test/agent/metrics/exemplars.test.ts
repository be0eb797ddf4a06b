import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { AlwaysOffSampler, AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Span } from '@opentelemetry/api';
import {
  ATTR_TWINKLE_EXEMPLAR,
  HTTP_DURATION_BUCKETS,
  METRIC_HTTP_REQUEST_DURATION,
  METRIC_SETTLEMENT_DURATION,
  ROUTE_UNMATCHED,
  SETTLEMENT_DURATION_BUCKETS,
} from '@twinkle/semconv';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExemplarSlots } from '../../../agent/src/metrics/exemplar-slots.js';
import { createHttpServerMetrics } from '../../../agent/src/metrics/http.js';
import { createPrometheusEndpoint } from '../../../agent/src/metrics/prometheus.js';
import { createSettlementExemplars } from '../../../agent/src/metrics/settlement-exemplars.js';
import { createSettlementInstruments } from '../../../agent/src/metrics/settlement.js';
import { parseOpenMetrics, PROMETHEUS_ACCEPT } from '../../helpers/openmetrics-text.js';
import { parsePrometheusText } from '../../helpers/prometheus-text.js';

const T0 = 1_700_000_000_000;
const exported = new InMemorySpanExporter();
const sampled = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter: exported })] }).getTracer('t');
const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('t');

function span(isSampled = true): Span {
  return (isSampled ? sampled : unsampled).startSpan('GET /x');
}

function attributeOf(s: Span): unknown {
  return (s as unknown as { attributes: Record<string, unknown> }).attributes?.[ATTR_TWINKLE_EXEMPLAR];
}

describe('ExemplarSlots', () => {
  it('gives a bucket to a sampled span at most once per interval, and marks only the span that took it', () => {
    const slots = new ExemplarSlots(3, 15_000);
    const first = span();
    expect(slots.offer(1, 0.02, T0, first)).toBe(true);
    expect(attributeOf(first)).toBe(true);
    const ctx = first.spanContext();
    expect(slots.exemplars[1]).toEqual({ traceId: ctx.traceId, spanId: ctx.spanId, value: 0.02, timeMs: T0 });

    // Within the interval: the same bucket is kept, the span is not marked.
    const second = span();
    expect(slots.offer(1, 0.03, T0 + 14_999, second)).toBe(false);
    expect(attributeOf(second)).toBeUndefined();
    expect(slots.exemplars[1]?.spanId).toBe(ctx.spanId);
    // Another bucket is free.
    const other = span();
    expect(slots.offer(2, 5, T0 + 1, other)).toBe(true);
    // After the interval, replaced.
    const third = span();
    expect(slots.offer(1, 0.04, T0 + 15_000, third)).toBe(true);
    expect(slots.exemplars[1]?.spanId).toBe(third.spanContext().spanId);
  });

  it('never takes an unsampled, ended or missing span, and leaves the slot free for the next sampled one', () => {
    const slots = new ExemplarSlots(2, 15_000);
    const notSampled = span(false);
    expect(slots.offer(0, 0.001, T0, notSampled)).toBe(false);
    expect(slots.offer(0, 0.001, T0, undefined)).toBe(false);
    const ended = span();
    ended.end();
    expect(slots.offer(0, 0.001, T0, ended)).toBe(false);
    expect(attributeOf(ended)).toBeUndefined();
    expect(slots.exemplars[0]).toBeUndefined();
    expect(slots.offer(0, 0.001, T0 + 1, span())).toBe(true);
  });
});

describe('exemplars of the HTTP histogram', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: T0 }));
  afterEach(() => vi.useRealTimers());

  it('stay one per bucket of one series across 10,000 distinct unmatched requests', () => {
    const metrics = createHttpServerMetrics(undefined, 15_000);
    const marked: Span[] = [];
    for (let i = 0; i < 10_000; i++) {
      vi.setSystemTime(T0 + i); // 10 s of requests, under one interval
      const s = span();
      metrics.record('GET', ROUTE_UNMATCHED, 404, HTTP_DURATION_BUCKETS[i % HTTP_DURATION_BUCKETS.length], s);
      if (attributeOf(s) === true) marked.push(s);
      s.end();
    }
    const attributes = { method: 'GET', route: ROUTE_UNMATCHED, status_code: '404' };
    // The producer's own attributes object is the key: find it through a collection.
    return metrics.producer.collect().then(({ resourceMetrics }) => {
      const point = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0];
      expect(point.attributes).toEqual(attributes);
      const slots = metrics.exemplarsOf(point.attributes)!;
      expect(slots).toHaveLength(HTTP_DURATION_BUCKETS.length + 1);
      // Each bucket that was hit took its first request's span and no other.
      expect(marked).toHaveLength(HTTP_DURATION_BUCKETS.length);
      expect(slots.filter(Boolean).map((e) => e!.spanId).sort()).toEqual(marked.map((s) => s.spanContext().spanId).sort());
      expect(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints).toHaveLength(1);
    });
  });

  it('are not kept at all when exemplars are off', async () => {
    const metrics = createHttpServerMetrics();
    const s = span();
    metrics.record('GET', '/a', 200, 0.01, s);
    expect(attributeOf(s)).toBeUndefined();
    const { resourceMetrics } = await metrics.producer.collect();
    expect(metrics.exemplarsOf(resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].attributes)).toBeUndefined();
  });
});

/** A scrape answered by the endpoint, with the Accept header given. */
async function scrapeEndpoint(serve: (req: IncomingMessage, res: ServerResponse) => void, accept: string | undefined) {
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve) => {
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 200,
      setHeader(k: string, v: string) {
        headers[k.toLowerCase()] = v;
      },
      end(body: string) {
        resolve({ status: this.statusCode, type: headers['content-type'], body });
      },
    };
    serve({ headers: accept === undefined ? {} : { accept }, method: 'GET', url: '/metrics' } as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
}

describe('/metrics with exemplars', () => {
  async function setUp() {
    const http = createHttpServerMetrics(undefined, 15_000);
    const settlement = createSettlementExemplars(15_000);
    const endpoint = createPrometheusEndpoint([http.producer], (name, attributes) =>
      name === METRIC_HTTP_REQUEST_DURATION.name ? http.exemplarsOf(attributes) : name === METRIC_SETTLEMENT_DURATION.name ? settlement.exemplarsOf(attributes) : undefined,
    );
    const provider = new MeterProvider({ readers: [endpoint.exporter] });
    const meter = provider.getMeter('@twinkle/agent');
    const instruments = createSettlementInstruments(meter);
    meter.createObservableGauge('nodejs_active_handles_total', { description: 'Total number of active handles.' }).addCallback((r) => r.observe(7));
    meter.createObservableCounter('process_cpu_user_seconds_total', { description: 'Total user CPU time spent in seconds.' }).addCallback((r) => r.observe(1.25));
    const spans: Span[] = [];
    const routes = ['/payments/:id', '/payments', ROUTE_UNMATCHED, 'with "quote" and \\'];
    for (let i = 0; i < 200; i++) {
      const s = span(i % 3 !== 0);
      spans.push(s);
      http.record(i % 5 === 0 ? 'POST' : 'GET', routes[i % routes.length], i % 7 === 0 ? 500 : 200, (i % 13) * 0.037, s);
      s.end();
    }
    for (const [i, status] of (['success', 'failure', 'pending', 'success'] as const).entries()) {
      const s = span();
      const seconds = SETTLEMENT_DURATION_BUCKETS[i] * 0.9;
      settlement.offer(status, seconds, s);
      instruments.duration.record(seconds, { status });
      instruments.settlements.add(1, { status, type: 'paywall' });
      s.end();
    }
    return { endpoint, spans };
  }

  it.each([
    ['no Accept header', undefined],
    ['*/*', '*/*'],
    ['text/plain;version=0.0.4', 'text/plain;version=0.0.4'],
    ['text preferred by q', 'application/openmetrics-text;version=1.0.0;q=0.4,text/plain;version=0.0.4;q=0.9'],
    ['an unknown OpenMetrics version', 'application/openmetrics-text;version=2.0.0'],
    ['a malformed header', 'application/openmetrics-text;q=banana, ;;; ,/'],
  ])('answers %s with the text format 0.0.4, byte for byte what OpenTelemetry writes', async (_name, accept) => {
    const { endpoint } = await setUp();
    const answer = await scrapeEndpoint(endpoint.serve, accept);
    const expected = new PrometheusSerializer(undefined, false, undefined, true, true).serialize((await endpoint.exporter.collect()).resourceMetrics);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('text/plain');
    expect(answer.body).toBe(expected);
    expect(answer.body).not.toContain('trace_id');
  });

  it('answers Prometheus with OpenMetrics 1.0: the same samples, counters named as OpenMetrics names them, exemplars on buckets', async () => {
    const { endpoint, spans } = await setUp();
    const om = await scrapeEndpoint(endpoint.serve, PROMETHEUS_ACCEPT);
    expect(om.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const parsed = parseOpenMetrics(om.body);
    const text = parsePrometheusText(await scrapeEndpoint(endpoint.serve, undefined).then((a) => a.body));
    const key = (s: { name: string; labels: Record<string, string>; value: number }) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`;
    expect(parsed.samples.map(key).sort()).toEqual(text.samples.map(key).sort());
    expect(parsed.types.get('http_requests')).toBe('counter');
    expect(parsed.types.get('twinkle_settlements')).toBe('counter');
    expect(parsed.types.get('process_cpu_user_seconds')).toBe('counter');
    expect(parsed.types.get('nodejs_active_handles_total')).toBe('gauge');
    expect(parsed.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(parsed.helps.get('http_requests')).toBe(text.helps.get('http_requests_total'));
    expect(om.body).toContain('route="with \\"quote\\" and \\\\"');

    const withExemplar = parsed.samples.filter((s) => s.exemplar !== undefined);
    const sampledIds = new Set(spans.filter((s) => s.spanContext().traceFlags === 1).map((s) => s.spanContext().spanId));
    expect(withExemplar.length).toBeGreaterThan(4);
    for (const sample of withExemplar) {
      const { labels, value, timestamp } = sample.exemplar!;
      expect(Object.keys(labels)).toEqual(['trace_id', 'span_id']);
      expect(labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
      // The exemplar's value lies in its bucket.
      const boundaries = sample.name.startsWith('twinkle') ? SETTLEMENT_DURATION_BUCKETS : HTTP_DURATION_BUCKETS;
      const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
      const below = [...boundaries].filter((b) => b < le).at(-1) ?? -Infinity;
      expect(value).toBeLessThanOrEqual(le);
      expect(value).toBeGreaterThan(below);
      expect(timestamp).toBeCloseTo(Date.now() / 1000, -2);
      if (sample.name.startsWith('http')) expect(sampledIds.has(labels.span_id)).toBe(true);
    }
    expect(withExemplar.filter((s) => s.name === 'twinkle_settlement_duration_seconds_bucket').map((s) => s.labels.status).sort()).toEqual(['failure', 'pending', 'success', 'success']);
  });
});
