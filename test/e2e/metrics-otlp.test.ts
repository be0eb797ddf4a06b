import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_HTTP_REQUEST_DURATION, METRIC_HTTP_REQUESTS } from '@twinkle/semconv';
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

type Attr = { key: string; value: { stringValue?: string } };
type Point = { attributes: Attr[]; count?: string; sum?: number; bucketCounts?: string[]; explicitBounds?: number[]; asInt?: string; asDouble?: number };
type Metric = { name: string; histogram?: { dataPoints: Point[]; aggregationTemporality: number }; sum?: { dataPoints: Point[]; isMonotonic: boolean; aggregationTemporality: number } };
type Export = { resourceMetrics: Array<{ resource: { attributes: Attr[] }; scopeMetrics: Array<{ metrics: Metric[] }> }> };

const label = (p: Point, key: string): string | undefined => p.attributes.find((a) => a.key === key)?.value.stringValue;

describe('OTEL_METRICS_EXPORTER=otlp', () => {
  it('pushes the HTTP histogram and counter the agent keeps, cumulative, and flushes them at SIGTERM', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'twinkle-otlp-metrics',
      },
    });
    for (let i = 0; i < 7; i++) expect((await fetch(`${app.url}/payments/${i}`)).status).toBe(200);
    expect((await fetch(`${app.url}/nowhere`)).status).toBe(404);
    // The export interval is a minute: what arrives comes from the flush at SIGTERM.
    await app.stop('SIGTERM');
    const exports = receiver.metricExports as Export[];
    expect(exports.length).toBeGreaterThan(0);
    const last = exports.at(-1)!;
    expect(last.resourceMetrics[0].resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('twinkle-otlp-metrics');
    const metrics = last.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const histogram = metrics.find((m) => m.name === METRIC_HTTP_REQUEST_DURATION.name)!;
    const counter = metrics.find((m) => m.name === METRIC_HTTP_REQUESTS.name)!;
    expect(histogram.histogram!.aggregationTemporality).toBe(2); // CUMULATIVE
    expect(counter.sum!.isMonotonic).toBe(true);
    const payments = histogram.histogram!.dataPoints.find((p) => label(p, 'route') === '/payments/:id')!;
    expect(label(payments, 'method')).toBe('GET');
    expect(label(payments, 'status_code')).toBe('200');
    expect(Number(payments.count)).toBe(7);
    expect(payments.explicitBounds).toEqual([...METRIC_HTTP_REQUEST_DURATION.buckets]);
    expect(payments.bucketCounts!.reduce((n, c) => n + Number(c), 0)).toBe(7);
    const total = (p: Point | undefined): number => Number(p?.asInt ?? p?.asDouble);
    expect(total(counter.sum!.dataPoints.find((p) => label(p, 'status_code') === '404'))).toBe(1);
    expect(total(counter.sum!.dataPoints.find((p) => label(p, 'route') === '/payments/:id'))).toBe(7);
  });
});
