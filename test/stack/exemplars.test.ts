/**
 * From a latency bucket to its trace, on the real tools: Debian's Prometheus with exemplar
 * storage scrapes both services (OpenMetrics, negotiated by Prometheus' own Accept header),
 * the Twinkle collector tail-samples with a share of 0% for healthy traces, so a healthy
 * request's trace reaches Jaeger only through the exemplar policy, and every exemplar
 * Prometheus returns must be found in Jaeger with its span.
 * Run by `npm run test:stack`; binds the stack's fixed ports (run under the stack lock).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../helpers/services.js';
import { parse, stringify } from 'yaml';
import type { RunningApp } from '../helpers/spawn-app.js';
import { startTokenChain, type TokenChain } from '../helpers/token-chain.js';
import { startApi, startFacilitator } from '../helpers/twinkle-services.js';
import { findGoBinaries } from '../../scripts/go-binaries.js';
import { tag } from './jaeger-api.js';
import { instantQuery } from './prometheus-api.js';
import { traceById, tracesOf } from './jaeger-traces.js';
import { eventually, ready, startProcess, type StackProcess } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPS = join(ROOT, 'otel-collector');
const JAEGER = 'http://127.0.0.1:16686';
const PROMETHEUS = 'http://127.0.0.1:9090';

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: { trace_id?: string; span_id?: string }; value: string; timestamp: number }>;
}

async function queryExemplars(metric: string): Promise<ExemplarSeries[]> {
  const query = new URLSearchParams({ query: metric, start: String(Date.now() / 1000 - 3600), end: String(Date.now() / 1000 + 60) });
  const body = (await (await fetch(`${PROMETHEUS}/api/v1/query_exemplars?${query}`)).json()) as { status: string; error?: string; data: ExemplarSeries[] };
  if (body.status !== 'success') throw new Error(`query_exemplars refused: ${body.error}`);
  return body.data;
}

/** Forgets the API's rate-limit windows, so this file's traffic does not count against the next one's. */
async function clearRateLimits(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('api:ratelimit:*');
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

describe('exemplars: Prometheus stores trace ids beside latency buckets, and each one is in Jaeger', () => {
  const binaries = findGoBinaries();
  const processes: StackProcess[] = [];
  let chain: TokenChain;
  let api: RunningApp;
  let facilitator: RunningApp;
  let scratch: string;

  beforeAll(async () => {
    await clearRateLimits();
    if (!binaries.collector || !binaries.jaeger) throw new Error('the collector and Jaeger are not built: run otel-collector/scripts/build-binaries.sh');
    scratch = mkdtempSync(join(tmpdir(), 'twinkle-exemplars-'));
    const jaeger = startProcess('jaeger', binaries.jaeger, ['--config', join(OPS, 'jaeger/config.yaml')]);
    processes.push(jaeger);
    await ready(jaeger, `${JAEGER}/api/services`);
    const collector = startProcess('collector', binaries.collector, ['--config', join(OPS, 'collector/config.yaml')], {
      COLLECTOR_OTLP_GRPC_ENDPOINT: '127.0.0.1:4317',
      COLLECTOR_OTLP_HTTP_ENDPOINT: '127.0.0.1:4318',
      COLLECTOR_JAEGER_ENDPOINT: '127.0.0.1:4327',
      // Healthy fast traces are kept only when an exemplar points at them.
      COLLECTOR_SAMPLING_PERCENTAGE: '0',
      COLLECTOR_DECISION_WAIT: '2s',
    });
    processes.push(collector);
    await ready(collector, 'http://127.0.0.1:4318/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    chain = await startTokenChain();
    const traces = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    facilitator = await startFacilitator({ ...traces, ...chain.facilitatorEnv, PORT: '3001', RPC_URL: chain.anvil.url, FACILITATOR_PRIVATE_KEY: chain.anvil.privateKeys[0] });
    api = await startApi({ ...traces, PORT: '3000', FACILITATOR_URL: facilitator.url });
    // Our prometheus.yml (its jobs and targets), scraping every 2 s instead of 15 so the test is short.
    const config = parse(readFileSync(join(OPS, 'prometheus.yml'), 'utf8')) as Record<string, unknown> & { global: Record<string, unknown> };
    config.global = { ...config.global, scrape_interval: '2s', evaluation_interval: '2s' };
    delete config.rule_files;
    writeFileSync(join(scratch, 'prometheus.yml'), stringify(config));
    const prometheus = startProcess('prometheus', 'prometheus', [
      `--config.file=${join(scratch, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(scratch, 'data')}`,
      '--web.listen-address=127.0.0.1:9090',
      '--enable-feature=exemplar-storage',
    ]);
    processes.push(prometheus);
    await ready(prometheus, `${PROMETHEUS}/-/ready`);
    const load = startProcess('load', process.execPath, [join(ROOT, 'scripts/load.ts')], { LOAD_SECONDS: '15', API_URL: api.url, FACILITATOR_URL: facilitator.url, LOAD_API_RPS: '3' });
    processes.push(load);
    await new Promise<void>((resolve) => load.child.once('exit', () => resolve()));
  }, 120_000);

  afterAll(async () => {
    await clearRateLimits();
    for (const p of [api, facilitator]) await p?.stop();
    for (const p of processes.reverse()) await p.stop();
    await chain?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('returns trace ids for the latency histogram of both services, and every one is in Jaeger with its marked server span', async () => {
    const series = await eventually('exemplars of both services', async () => {
      const found = await queryExemplars('http_request_duration_seconds_bucket');
      const jobs = new Set(found.filter((s) => s.exemplars.length > 0).map((s) => s.seriesLabels.job));
      return jobs.has('twinkle-api') && jobs.has('twinkle-facilitator') ? found : undefined;
    }, 60_000, 2000);
    const exemplars = series.flatMap((s) => s.exemplars.map((e) => ({ ...e, series: s.seriesLabels })));
    expect(exemplars.length).toBeGreaterThanOrEqual(4);
    for (const e of exemplars) {
      expect(Object.keys(e.labels).sort()).toEqual(['span_id', 'trace_id']);
      expect(Number(e.value)).toBeLessThanOrEqual(e.series.le === '+Inf' ? Infinity : Number(e.series.le));
    }
    const missing: string[] = [];
    for (const e of exemplars) {
      const trace = await eventually(`trace ${e.labels.trace_id} in Jaeger`, () => traceById(JAEGER, e.labels.trace_id!), 20_000, 1000).catch(() => undefined);
      const span = trace?.spans.find((s) => s.spanID === e.labels.span_id);
      if (span === undefined) {
        missing.push(`${e.series.job} ${e.series.route} le=${e.series.le}: ${e.labels.trace_id}/${e.labels.span_id}`);
        continue;
      }
      expect(tag(span, 'span.kind')).toBe('server');
      expect(tag(span, 'twinkle.exemplar')).toBe(true);
      expect(tag(span, 'http.route') ?? 'unmatched').toBe(e.series.route);
      expect(String(tag(span, 'http.response.status_code'))).toBe(e.series.status_code);
    }
    expect(missing).toEqual([]);
  }, 120_000);

  it('returns trace ids for the settlement histogram, each in Jaeger with its settlement span', async () => {
    const series = await eventually('settlement exemplars', async () => {
      const found = (await queryExemplars('twinkle_settlement_duration_seconds_bucket')).filter((s) => s.exemplars.length > 0);
      return found.length > 0 ? found : undefined;
    }, 30_000, 2000);
    for (const e of series.flatMap((s) => s.exemplars.map((x) => ({ ...x, series: s.seriesLabels })))) {
      const trace = await eventually(`trace ${e.labels.trace_id} in Jaeger`, () => traceById(JAEGER, e.labels.trace_id!), 20_000, 1000);
      const span = trace.spans.find((s) => s.spanID === e.labels.span_id);
      expect(span?.operationName).toMatch(/^settlement (paywall|subscription|direct)$/);
      expect(tag(span!, 'twinkle.settlement.status')).toBe(e.series.status);
      expect(tag(span!, 'twinkle.exemplar')).toBe(true);
    }
  }, 60_000);

  it('scrapes OpenMetrics, and ingests the two gauges named *_total as gauges under their own names', async () => {
    const metadata = (await (await fetch(`${PROMETHEUS}/api/v1/metadata`)).json()) as { data: Record<string, Array<{ type: string }>> };
    // The counter's family is named without _total only in OpenMetrics: the scrapes were OpenMetrics.
    expect(metadata.data.http_requests?.[0]?.type).toBe('counter');
    for (const gauge of ['nodejs_active_handles_total', 'nodejs_active_requests_total']) {
      expect(metadata.data[gauge]?.map((m) => m.type)).toEqual(['gauge']);
      const series = await instantQuery(PROMETHEUS, gauge);
      expect(series.map((s) => s.metric.job).sort()).toEqual(['twinkle-api', 'twinkle-facilitator']);
    }
    expect((await instantQuery(PROMETHEUS, 'http_requests_total')).length).toBeGreaterThan(0);
  });

  it('keeps a healthy fast trace only when an exemplar points at it (the share is 0 here)', async () => {
    const prefix = `probe-${Date.now()}-`;
    for (let i = 0; i < 50; i++) await (await fetch(`${api.url}/payments/999999999`, { headers: { 'x-request-id': `${prefix}${i}` } })).arrayBuffer();
    await new Promise((r) => setTimeout(r, 6000));
    const kept = (await tracesOf(JAEGER, 'twinkle-api', 'GET /payments/:id'))
      .map((t) => t.spans.find((s) => String(tag(s, 'twinkle.request_id') ?? '').startsWith(prefix)))
      .filter((s) => s !== undefined);
    // At most one per bucket of the one series these requests make, each marked.
    expect(kept.length).toBeLessThanOrEqual(12);
    for (const span of kept) expect(tag(span, 'twinkle.exemplar')).toBe(true);
  }, 30_000);
});
