/**
 * The HTTP metrics' cardinality limit on a real process, with collections in between:
 * cumulative (a Prometheus scrape) keeps every label set seen before the limit and puts
 * only new ones in the overflow series; delta (OTLP push) starts each collection afresh.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL_METHOD, LABEL_STATUS_CODE, METRIC_HTTP_REQUEST_DURATION, METRIC_HTTP_REQUESTS } from '@twinkle/semconv';
import { sendRequests } from '../helpers/load.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { samplesOf, scrape, valueOf } from '../helpers/prometheus-text.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

let app: RunningApp | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await app?.stop();
  await receiver?.close();
  app = undefined;
  receiver = undefined;
});

/** Every status a response can have, but 407 (fetch fails on one no proxy asked for) and 421 (fetch sends the request again). */
const CODES = Array.from({ length: 400 }, (_, i) => 200 + i).filter((code) => code !== 407 && code !== 421);
const PER_BATCH = 3 * CODES.length;
/** One request for each method and status: 3 x 398 label sets. */
async function labelSets(a: RunningApp, methods: string[]): Promise<void> {
  const targets = methods.flatMap((method) => CODES.map((code) => ({ method, code })));
  const statuses = await sendRequests((i) => `${a.url}/status/${targets[i].code}`, targets.length, 16, undefined, (i) => ({ method: targets[i].method }));
  expect([...statuses.values()].reduce((n, c) => n + c, 0)).toBe(targets.length);
}

describe('the cardinality limit of the HTTP metrics', () => {
  it('cumulative (Prometheus): the first 1999 label sets keep their series across scrapes, only later ones share the overflow series', async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT });
    await labelSets(app, ['GET', 'POST', 'PUT']);
    const first = await scrape(app.url);
    expect(samplesOf(first, METRIC_HTTP_REQUESTS.name)).toHaveLength(PER_BATCH);
    // After a collection: as many new label sets, of which 1999 - PER_BATCH still fit, and one seen before again.
    await labelSets(app, ['DELETE', 'PATCH', 'OPTIONS']);
    await (await fetch(`${app.url}/status/200`)).arrayBuffer();
    const second = await scrape(app.url);
    const series = samplesOf(second, METRIC_HTTP_REQUESTS.name);
    expect(series).toHaveLength(2000);
    expect(valueOf(second, METRIC_HTTP_REQUESTS.name, { [LABEL_METHOD]: 'GET', [LABEL_STATUS_CODE]: '200' })).toBe(2);
    const overflowed = PER_BATCH - (1999 - PER_BATCH);
    // Prometheus spells the attribute otel.metric.overflow as a label name can be spelled.
    expect(valueOf(second, METRIC_HTTP_REQUESTS.name, { otel_metric_overflow: 'true' })).toBe(overflowed);
    expect(valueOf(second, `${METRIC_HTTP_REQUEST_DURATION.name}_count`, { otel_metric_overflow: 'true' })).toBe(overflowed);
  });

  it('delta (OTLP): each collection starts afresh, so label sets past 1999 ever seen still get series of their own', async () => {
    receiver = await startOtlpReceiver();
    app = await spawnApp('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: {
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      },
    });
    type Point = { attributes: Array<{ key: string; value: { stringValue?: string; boolValue?: boolean } }>; asInt?: string; asDouble?: number };
    const points = (): Point[] =>
      (receiver!.metricExports as Array<{ resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string; sum?: { dataPoints: Point[] } }> }> }> }>)
        .flatMap((e) => e.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)))
        .filter((m) => m.name === METRIC_HTTP_REQUESTS.name)
        .flatMap((m) => m.sum!.dataPoints);
    const label = (p: Point, key: string) => p.attributes.find((a) => a.key === key)?.value;
    /** Requests counted so far for `methods`, and whether any went to the overflow series. */
    const counted = (methods: string[]) => ({
      requests: points()
        .filter((p) => methods.includes(String(label(p, LABEL_METHOD)?.stringValue)))
        .reduce((n, p) => n + Number(p.asInt ?? p.asDouble), 0),
      overflow: points().some((p) => label(p, 'otel.metric.overflow')?.boolValue === true),
    });
    await labelSets(app, ['GET', 'POST', 'PUT']);
    await expect.poll(() => counted(['GET', 'POST', 'PUT']).requests, { timeout: 20_000 }).toBe(PER_BATCH);
    // Every collection that held the first batch has been sent: the next ones start afresh.
    await labelSets(app, ['DELETE', 'PATCH', 'OPTIONS']);
    await expect.poll(() => counted(['DELETE', 'PATCH', 'OPTIONS']).requests, { timeout: 20_000 }).toBe(PER_BATCH);
    expect(counted([]).overflow).toBe(false);
    const sets = new Set(points().map((p) => `${label(p, LABEL_METHOD)?.stringValue} ${label(p, LABEL_STATUS_CODE)?.stringValue}`));
    expect(sets.size).toBe(2 * PER_BATCH);
  });
});
