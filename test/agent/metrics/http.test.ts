import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricProducer,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS_CODE, METRIC_HTTP_REQUEST_DURATION, METRIC_HTTP_REQUESTS, ROUTE_UNMATCHED } from '@twinkle/semconv';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpServerMetrics, normalizeMethod } from '../../../agent/src/metrics/http.js';

/** A reader collected by hand, in the temporality it is given. */
class ManualReader extends MetricReader {
  constructor(temporality: AggregationTemporality, metricProducers: MetricProducer[] = []) {
    super({ aggregationTemporalitySelector: () => temporality, metricProducers });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The same metrics through the SDK's own instruments: what the agent's must equal. */
function sdkMetrics(temporality: AggregationTemporality) {
  const reader = new ManualReader(temporality);
  const meter = new MeterProvider({ readers: [reader] }).getMeter('twinkle');
  const histogram = meter.createHistogram(METRIC_HTTP_REQUEST_DURATION.name, {
    description: METRIC_HTTP_REQUEST_DURATION.description,
    advice: { explicitBucketBoundaries: [...METRIC_HTTP_REQUEST_DURATION.buckets] },
  });
  const counter = meter.createCounter(METRIC_HTTP_REQUESTS.name, { description: METRIC_HTTP_REQUESTS.description });
  const attributes = new Map<string, Record<string, string>>();
  return {
    reader,
    record(method: string, route: string, status: number, seconds: number) {
      const key = `${normalizeMethod(method)} ${route} ${status}`;
      let a = attributes.get(key);
      if (!a) attributes.set(key, (a = { [LABEL_METHOD]: normalizeMethod(method), [LABEL_ROUTE]: route, [LABEL_STATUS_CODE]: String(status) }));
      histogram.record(seconds, a);
      // The agent's counter is the histogram's count: the SDK counts what the histogram kept.
      if (seconds >= 0) counter.add(1, a);
    },
  };
}

function ourMetrics(temporality: AggregationTemporality) {
  const metrics = createHttpServerMetrics(() => temporality);
  const reader = new ManualReader(temporality, [metrics.producer]);
  new MeterProvider({ readers: [reader] });
  return { reader, record: metrics.record };
}

/** Every boundary, just above and below it, zero, the overflow bucket, and what the SDK ignores. */
const VALUES = [0, 1e-9, ...METRIC_HTTP_REQUEST_DURATION.buckets.flatMap((b) => [b, b - 1e-9, b + 1e-9]), 11, 1e6, 0.1 + 0.2, Number.NaN, -0.5];
const REQUESTS: Array<[string, string, number]> = [
  ['GET', '/payments/:id', 200],
  ['POST', '/payments', 201],
  ['GET', ROUTE_UNMATCHED, 404],
  ['BREW', '/pot', 418],
  ['PATCH', '/payments/:id', 500],
];

function metricsOf(rm: ResourceMetrics): MetricData[] {
  return rm.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name.startsWith('http_'));
}

/** What both must agree on: everything but the collection's end time. */
function comparable(metrics: MetricData[]) {
  return metrics.map((m) => ({
    name: m.descriptor.name,
    description: m.descriptor.description,
    unit: m.descriptor.unit,
    valueType: m.descriptor.valueType,
    temporality: m.aggregationTemporality,
    type: m.dataPointType,
    monotonic: 'isMonotonic' in m ? m.isMonotonic : undefined,
    points: (m.dataPoints as Array<DataPoint<number | Histogram>>).map((p) => ({ attributes: p.attributes, startTime: p.startTime, value: p.value })),
  }));
}

describe('createHttpServerMetrics', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_123 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['cumulative', AggregationTemporality.CUMULATIVE],
    ['delta', AggregationTemporality.DELTA],
  ])('collects what the SDK collects for the same requests (%s)', async (_name, temporality) => {
    const sdk = sdkMetrics(temporality);
    const ours = ourMetrics(temporality);
    let step = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < VALUES.length * (round + 1); i++) {
        // A label set left out of round 2 shows how each temporality treats a quiet series.
        const [method, route, status] = REQUESTS[(i + round) % (round === 2 ? 3 : REQUESTS.length)];
        const seconds = VALUES[(i * 7 + round) % VALUES.length];
        vi.setSystemTime(1_700_000_000_123 + ++step * 13);
        sdk.record(method, route, status, seconds);
        ours.record(method, route, status, seconds);
      }
      const [theirs, mine] = [metricsOf((await sdk.reader.collect()).resourceMetrics), metricsOf((await ours.reader.collect()).resourceMetrics)];
      expect(comparable(mine)).toEqual(comparable(theirs));
      expect(mine).toHaveLength(2);
    }
  });

  it('writes the Prometheus text the SDK writes, and the counter always equals the histogram count', async () => {
    const sdk = sdkMetrics(AggregationTemporality.CUMULATIVE);
    const ours = ourMetrics(AggregationTemporality.CUMULATIVE);
    for (let i = 0; i < 500; i++) {
      const [method, route, status] = REQUESTS[i % REQUESTS.length];
      sdk.record(method, route, status, VALUES[i % VALUES.length]);
      ours.record(method, route, status, VALUES[i % VALUES.length]);
    }
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
    const text = async (reader: MetricReader) => {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize({ resource: resourceMetrics.resource, scopeMetrics: [{ scope: { name: 'x' }, metrics: metricsOf(resourceMetrics) }] });
    };
    const mine = await text(ours.reader);
    expect(mine).toBe(await text(sdk.reader));
    expect(mine).toContain('http_request_duration_seconds_bucket{method="_OTHER",route="/pot",status_code="418",le="0.005"}');
    for (const [method, route, status] of REQUESTS) {
      const labels = `method="${normalizeMethod(method)}",route="${route}",status_code="${status}"`;
      const count = new RegExp(`^http_request_duration_seconds_count\\{${labels.replace(/[/.]/g, '\\$&')}\\} (\\d+)$`, 'm').exec(mine)?.[1];
      const total = new RegExp(`^http_requests_total\\{${labels.replace(/[/.]/g, '\\$&')}\\} (\\d+)$`, 'm').exec(mine)?.[1];
      expect(count).toBeDefined();
      expect(total).toBe(count);
    }
  });

  /** The histogram's data points of one collection, by route (the overflow series under "overflow"). */
  async function collectCounts(reader: MetricReader): Promise<Map<string, number>> {
    const [histogram] = metricsOf((await reader.collect()).resourceMetrics);
    return new Map(
      (histogram?.dataPoints ?? []).map((p) => [
        p.attributes['otel.metric.overflow'] === true ? 'overflow' : String(p.attributes[LABEL_ROUTE]),
        (p.value as Histogram).count,
      ]),
    );
  }

  it('cumulative: keeps every label set seen before the limit for good, and puts only new ones in the one overflow series', async () => {
    const ours = ourMetrics(AggregationTemporality.CUMULATIVE);
    for (let i = 0; i < 1500; i++) ours.record('GET', `/a${i}`, 200, 0.01);
    const first = await collectCounts(ours.reader);
    expect(first.size).toBe(1500);
    expect(first.has('overflow')).toBe(false);
    // After a collection: the 1500 again, and 1500 new label sets, of which 499 still fit.
    for (let i = 0; i < 1500; i++) ours.record('GET', `/a${i}`, 200, 0.01);
    for (let i = 0; i < 1500; i++) ours.record('GET', `/b${i}`, 200, 0.01);
    const second = await collectCounts(ours.reader);
    expect(second.size).toBe(2000);
    expect(second.get('/a0')).toBe(2);
    expect(second.get('/a1499')).toBe(2);
    expect(second.get('/b498')).toBe(1);
    expect(second.has('/b499')).toBe(false);
    expect(second.get('overflow')).toBe(1001);
    // And after another: nothing new gets a series of its own, the seen ones keep theirs.
    ours.record('GET', '/c0', 200, 0.01);
    ours.record('GET', '/b0', 200, 0.01);
    const third = await collectCounts(ours.reader);
    expect(third.size).toBe(2000);
    expect(third.get('/b0')).toBe(2);
    expect(third.get('overflow')).toBe(1002);
  });

  it('delta: starts each collection afresh, the limit counting the label sets of that collection, as the SDK does', async () => {
    const sdk = sdkMetrics(AggregationTemporality.DELTA);
    const ours = ourMetrics(AggregationTemporality.DELTA);
    const both = (route: string) => {
      sdk.record('GET', route, 200, 0.01);
      ours.record('GET', route, 200, 0.01);
    };
    for (let i = 0; i < 1500; i++) both(`/a${i}`);
    const first = await collectCounts(ours.reader);
    expect(first.size).toBe(1500);
    expect(first).toEqual(await collectCounts(sdk.reader));
    // 1500 new label sets after a collection: all fit, though 3000 were seen in all.
    for (let i = 0; i < 1500; i++) both(`/b${i}`);
    const second = await collectCounts(ours.reader);
    expect(second.size).toBe(1500);
    expect(second.has('overflow')).toBe(false);
    expect(second).toEqual(await collectCounts(sdk.reader));
    // 2100 in one collection, old and new: 1999 series and the overflow one.
    for (let i = 0; i < 1000; i++) both(`/a${i}`);
    for (let i = 0; i < 1100; i++) both(`/c${i}`);
    const third = await collectCounts(ours.reader);
    expect(third.size).toBe(2000);
    expect(third.get('overflow')).toBe(101);
    expect(third).toEqual(await collectCounts(sdk.reader));
  });
});
