import { ATTR_TWINKLE_EXEMPLAR, ROUTE_UNMATCHED } from '@twinkle/semconv';
import { afterEach, describe, expect, it } from 'vitest';
import { sendRequests } from '../helpers/load.js';
import { parseOpenMetrics, PROMETHEUS_ACCEPT, type OmScrape } from '../helpers/openmetrics-text.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const SERVER = 2; // OTLP SpanKind
let cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

async function start(env: Record<string, string> = {}): Promise<{ app: RunningApp; receiver: OtlpReceiver }> {
  const receiver = await startOtlpReceiver();
  cleanup.push(() => receiver.close());
  const app = await spawnApp('app.mjs', {
    nodeArgs: WITH_AGENT,
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'exemplar-app', ...env },
  });
  cleanup.push(() => app.stop());
  return { app, receiver };
}

async function scrapeOpenMetrics(url: string, accept = PROMETHEUS_ACCEPT): Promise<OmScrape> {
  const res = await fetch(`${url}/metrics`, { headers: { accept } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  return parseOpenMetrics(await res.text());
}

function exemplarsOf(scrape: OmScrape): Array<{ trace_id: string; span_id: string; metric: string; labels: Record<string, string> }> {
  return scrape.samples
    .filter((s) => s.exemplar !== undefined)
    .map((s) => ({ trace_id: s.exemplar!.labels.trace_id, span_id: s.exemplar!.labels.span_id, metric: s.name, labels: s.labels }));
}

/** Mixed traffic: fast and slow routes, 500s, unmatched paths, and settlements of every outcome. */
async function traffic(url: string): Promise<void> {
  const paths = ['/payments/1', '/slow?ms=30', '/slow?ms=120', '/boom', '/nowhere', '/'];
  await sendRequests((i) => `${url}${paths[i % paths.length]}`, 240, 16);
  for (const outcome of ['success', 'failure', 'pending'])
    await (await fetch(`${url}/settle/paywall?outcome=${outcome}&ms=150`, { method: 'POST' })).arrayBuffer();
}

describe('exemplars on a real scrape', () => {
  it('point at sampled server and settlement spans that carry twinkle.exemplar, and only those carry it', async () => {
    const { app, receiver } = await start();
    await traffic(app.url);
    const scrape = await scrapeOpenMetrics(app.url);
    const exemplars = exemplarsOf(scrape);
    const http = exemplars.filter((e) => e.metric === 'http_request_duration_seconds_bucket');
    const settlement = exemplars.filter((e) => e.metric === 'twinkle_settlement_duration_seconds_bucket');
    expect(http.length).toBeGreaterThanOrEqual(5);
    expect(settlement.map((e) => e.labels.status).sort()).toEqual(['failure', 'pending', 'success']);
    // Every exemplar's span arrives, marked; no other span is marked.
    const spans = await receiver.waitFor((all) => exemplars.every((e) => all.some((s) => s.spanId === e.span_id)), 10_000);
    const marked = spans.filter((s) => s.attributes[ATTR_TWINKLE_EXEMPLAR] === true);
    expect(marked.map((s) => s.spanId).sort()).toEqual(exemplars.map((e) => e.span_id).sort());
    for (const e of http) {
      const span = spans.find((s) => s.spanId === e.span_id)!;
      expect(span.kind).toBe(SERVER);
      expect(span.traceId).toBe(e.trace_id);
      expect(span.attributes['http.route'] ?? ROUTE_UNMATCHED).toBe(e.labels.route);
      expect(String(span.attributes['http.response.status_code'])).toBe(e.labels.status_code);
    }
    for (const e of settlement) expect(spans.find((s) => s.spanId === e.span_id)!.name).toBe('settlement paywall');
    // Most requests took no slot.
    expect(spans.filter((s) => s.kind === SERVER).length).toBeGreaterThan(200);

    // Any other scrape: the text format, no exemplar.
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).not.toContain('trace_id');
    expect(text).not.toContain('# EOF');
  });

  it('answers malformed, mixed and unknown-version Accept headers by their preference, never with a 500', async () => {
    const { app } = await start();
    await (await fetch(`${app.url}/payments/1`)).arrayBuffer();
    const cases: Array<[string, 'openmetrics' | 'text']> = [
      ['application/openmetrics-text;version=1.0.0;q=0.3,text/plain;version=0.0.4;q=0.9', 'text'],
      ['text/plain;version=0.0.4;q=0.3,application/openmetrics-text;version=1.0.0;q=0.9', 'openmetrics'],
      ['application/openmetrics-text;version=7.0.0', 'text'],
      ['application/openmetrics-text;q=what', 'text'],
      [';;==,,/;q', 'text'],
      ['\u00ff\u00fe', 'text'],
      ['x'.repeat(8000), 'text'],
    ];
    for (const [accept, format] of cases) {
      const res = await fetch(`${app.url}/metrics`, { headers: { accept } });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body.endsWith('# EOF\n'), accept.slice(0, 80)).toBe(format === 'openmetrics');
      if (format === 'openmetrics') parseOpenMetrics(body);
    }
  });

  it('keeps exemplar memory at one slot per bucket of the unmatched series across 10,000 distinct unmatched paths', async () => {
    const { app } = await start();
    await (await fetch(`${app.url}/first-${Math.random()}`)).arrayBuffer();
    const first = await scrapeOpenMetrics(app.url);
    const unmatched = (s: OmScrape) => s.samples.filter((x) => x.labels.route === ROUTE_UNMATCHED);
    expect(exemplarsOf(first).filter((e) => e.labels.route === ROUTE_UNMATCHED)).toHaveLength(1);
    const statuses = await sendRequests((i) => `${app.url}/${Math.random().toString(36).slice(2)}/${i}`, 10_000, 64);
    expect(statuses.get(404)).toBe(10_000);
    const after = await scrapeOpenMetrics(app.url);
    // The same series, and at most one exemplar per bucket of the one unmatched series.
    expect(unmatched(after).map((s) => `${s.name}${JSON.stringify(s.labels)}`)).toEqual(unmatched(first).map((s) => `${s.name}${JSON.stringify(s.labels)}`));
    const buckets = unmatched(after).filter((s) => s.name.endsWith('_bucket'));
    const withExemplar = buckets.filter((s) => s.exemplar !== undefined);
    expect(withExemplar.length).toBeGreaterThanOrEqual(1);
    expect(withExemplar.length).toBeLessThanOrEqual(buckets.length);
  });

  it.each([
    ['head sampling drops every trace', { OTEL_TRACES_SAMPLER: 'always_off' }],
    ['exemplars are switched off', { OTEL_METRICS_EXEMPLAR_FILTER: 'always_off' }],
    ['traces are off', { OTEL_TRACES_EXPORTER: 'none' }],
  ])('gives none when %s, and marks no span', async (_name, env) => {
    const { app, receiver } = await start(env);
    await traffic(app.url);
    const scrape = await scrapeOpenMetrics(app.url);
    expect(exemplarsOf(scrape)).toEqual([]);
    expect(scrape.samples.some((s) => s.name === 'http_request_duration_seconds_bucket')).toBe(true);
    expect(receiver.spans.filter((s) => s.attributes[ATTR_TWINKLE_EXEMPLAR] !== undefined)).toEqual([]);
  });

  it('replaces a bucket\'s exemplar only once its interval has passed since it was taken', async () => {
    const intervalMs = 300;
    const { app } = await start({ TWINKLE_EXEMPLAR_INTERVAL_MS: String(intervalMs) });
    /** The exemplar of each bucket of the route's series, by `le`, with when it was taken. */
    const slots = async (): Promise<Map<string, { spanId: string; seconds: number }>> =>
      new Map(
        (await scrapeOpenMetrics(app.url)).samples
          .filter((s) => s.exemplar !== undefined && s.labels.route === '/payments/:id')
          .map((s) => [s.labels.le!, { spanId: s.exemplar!.labels.span_id!, seconds: s.exemplar!.timestamp! }]),
      );
    await sendRequests(() => `${app.url}/payments/1`, 20, 1);
    const before = await slots();
    expect(before.size).toBeGreaterThanOrEqual(1);
    await sendRequests(() => `${app.url}/payments/1`, 20, 1);
    // However long those requests took: a slot that changed was taken at least the interval
    // after the exemplar it replaced (on a quick machine, none changed).
    for (const [le, now] of await slots()) {
      const was = before.get(le);
      if (was !== undefined && was.spanId !== now.spanId) expect((now.seconds - was.seconds) * 1000, `le=${le}`).toBeGreaterThanOrEqual(intervalMs - 1);
    }
    const taken = await slots();
    await new Promise((r) => setTimeout(r, intervalMs + 100));
    await sendRequests(() => `${app.url}/payments/1`, 20, 1);
    const after = await slots();
    // Past the interval, the next request into a bucket takes its slot.
    expect([...after].some(([le, now]) => taken.get(le)?.spanId !== now.spanId)).toBe(true);
  });
});
