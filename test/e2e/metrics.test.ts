import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HTTP_DURATION_BUCKETS,
  METRIC_ACTIVE_HANDLES,
  METRIC_ACTIVE_REQUESTS,
  METRIC_EVENTLOOP_LAG,
  METRIC_HTTP_REQUEST_DURATION,
  METRIC_HTTP_REQUESTS,
  METRIC_PROCESS_CPU_SYSTEM,
  METRIC_PROCESS_CPU_USER,
  METRIC_PROCESS_HEAP,
  METRIC_PROCESS_RESIDENT_MEMORY,
  METRIC_SETTLEMENT_DURATION,
  METRIC_SETTLEMENTS,
  ROUTE_UNMATCHED,
  SETTLEMENT_DURATION_BUCKETS,
} from '@twinkle/semconv';
import { promtoolCheckMetrics, samplesOf, scrape, valueOf, type Scrape } from '../helpers/prometheus-text.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const DURATION = METRIC_HTTP_REQUEST_DURATION.name;
const REQUESTS = METRIC_HTTP_REQUESTS.name;

async function get(app: RunningApp, path: string, init?: RequestInit): Promise<number> {
  const res = await fetch(app.url + path, init);
  await res.arrayBuffer();
  return res.status;
}

/** Asserts one labelled histogram series has exactly `buckets` (+Inf), cumulative, and `count`. */
function expectHistogram(s: Scrape, name: string, labels: Record<string, string>, buckets: readonly number[], count: number): void {
  const bucketSamples = samplesOf(s, `${name}_bucket`, labels);
  expect(bucketSamples.map((b) => b.labels.le)).toEqual([...buckets.map(String), '+Inf']);
  const values = bucketSamples.map((b) => b.value);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(values.at(-1)).toBe(count);
  expect(valueOf(s, `${name}_count`, labels)).toBe(count);
  expect(valueOf(s, `${name}_sum`, labels)).toBeGreaterThan(0);
}

describe.each([
  { kind: 'ESM', fixture: 'app.mjs', flags: WITH_AGENT },
  { kind: 'CommonJS (--require)', fixture: 'app.cjs', flags: ['--require', '@twinkle/agent'] },
  { kind: 'CommonJS (--import)', fixture: 'app.cjs', flags: WITH_AGENT },
])('metrics of a $kind Hono app under the agent', ({ fixture, flags }) => {
  let app: RunningApp;
  let s: Scrape;

  beforeAll(async () => {
    app = await spawnApp(fixture, { nodeArgs: flags });
    for (let i = 0; i < 3; i++) expect(await get(app, `/payments/${i}`)).toBe(200);
    expect(await get(app, '/v1/items/42')).toBe(200);
    expect(await get(app, '/boom')).toBe(500);
    expect(await get(app, '/no/such/route')).toBe(404);
    expect(await get(app, '/payments/1', { method: 'POST' })).toBe(404);
    await get(app, '/metrics');
    s = await scrape(app.url);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('exposes exactly the metric families of the contract with their types', () => {
    const families = [...s.types.entries()];
    expect(new Map(families)).toEqual(
      new Map([
        [METRIC_PROCESS_CPU_USER.name, 'counter'],
        [METRIC_PROCESS_CPU_SYSTEM.name, 'counter'],
        [METRIC_PROCESS_RESIDENT_MEMORY.name, 'gauge'],
        [METRIC_PROCESS_HEAP.name, 'gauge'],
        [METRIC_EVENTLOOP_LAG.name, 'gauge'],
        [METRIC_ACTIVE_HANDLES.name, 'gauge'],
        [METRIC_ACTIVE_REQUESTS.name, 'gauge'],
        [DURATION, 'histogram'],
        [REQUESTS, 'counter'],
      ]),
    );
    expect(s.text).not.toMatch(/target_info|otel_scope_/);
    expect(s.helps.get(REQUESTS)).toBe(METRIC_HTTP_REQUESTS.description);
  });

  it('labels requests with method, route pattern and status code only', () => {
    for (const sample of samplesOf(s, REQUESTS)) {
      expect(Object.keys(sample.labels).sort()).toEqual(['method', 'route', 'status_code']);
    }
    expect(valueOf(s, REQUESTS, { method: 'GET', route: '/payments/:id', status_code: '200' })).toBe(3);
    expect(valueOf(s, REQUESTS, { method: 'GET', route: '/v1/items/:id', status_code: '200' })).toBe(1);
    expect(valueOf(s, REQUESTS, { method: 'GET', route: '/boom', status_code: '500' })).toBe(1);
    expect(valueOf(s, REQUESTS, { method: 'GET', route: ROUTE_UNMATCHED, status_code: '404' })).toBe(1);
    // POST to a GET-only pattern matched no route: unmatched, never the raw path.
    expect(valueOf(s, REQUESTS, { method: 'POST', route: ROUTE_UNMATCHED, status_code: '404' })).toBe(1);
    const routes = new Set(samplesOf(s, REQUESTS).map((x) => x.labels.route));
    expect(routes).toEqual(new Set(['/payments/:id', '/v1/items/:id', '/boom', ROUTE_UNMATCHED]));
  });

  it('neither counts nor times the scrapes of /metrics', () => {
    expect(s.samples.some((x) => x.labels.route?.includes('metrics'))).toBe(false);
    const total = samplesOf(s, REQUESTS).reduce((sum, x) => sum + x.value, 0);
    expect(total).toBe(7);
  });

  it('uses exactly the HTTP bucket list', () => {
    expectHistogram(s, DURATION, { method: 'GET', route: '/payments/:id', status_code: '200' }, HTTP_DURATION_BUCKETS, 3);
    expectHistogram(s, DURATION, { method: 'GET', route: ROUTE_UNMATCHED, status_code: '404' }, HTTP_DURATION_BUCKETS, 1);
  });

  it('reports runtime metrics that mean what prom-client means', () => {
    const status = readFileSync(`/proc/${app.child.pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)![1]) * 1024;
    const rss = valueOf(s, METRIC_PROCESS_RESIDENT_MEMORY.name)!;
    expect(Math.abs(rss - kb('VmRSS'))).toBeLessThan(64 * 1024 * 1024);
    // prom-client's process_heap_bytes on Linux is VmData, the data segment.
    const heap = valueOf(s, METRIC_PROCESS_HEAP.name)!;
    expect(Math.abs(heap - kb('VmData'))).toBeLessThan(256 * 1024 * 1024);
    expect(heap).toBeGreaterThan(rss / 4);
    const stat = readFileSync(`/proc/${app.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = 100; // USER_HZ on Linux
    const utime = Number(stat[11]) / ticks;
    expect(valueOf(s, METRIC_PROCESS_CPU_USER.name)!).toBeGreaterThan(0);
    expect(Math.abs(valueOf(s, METRIC_PROCESS_CPU_USER.name)! - utime)).toBeLessThan(0.5);
    expect(valueOf(s, METRIC_PROCESS_CPU_SYSTEM.name)!).toBeGreaterThanOrEqual(0);
    const lag = valueOf(s, METRIC_EVENTLOOP_LAG.name)!;
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(1);
    // At least the listening socket and stdio; a handful, not hundreds.
    const handles = valueOf(s, METRIC_ACTIVE_HANDLES.name)!;
    expect(handles).toBeGreaterThanOrEqual(1);
    expect(handles).toBeLessThan(50);
    expect(valueOf(s, METRIC_ACTIVE_REQUESTS.name)!).toBeGreaterThanOrEqual(0);
  });

  it('passes promtool check metrics with only the two _total gauge complaints the contract accepts', async () => {
    const { problems } = await promtoolCheckMetrics(s.text);
    expect(problems.sort()).toEqual([
      `${METRIC_ACTIVE_HANDLES.name} non-counter metrics should not have "_total" suffix`,
      `${METRIC_ACTIVE_REQUESTS.name} non-counter metrics should not have "_total" suffix`,
    ]);
  });
});

describe('settlement metrics through @twinkle/agent/api', () => {
  let app: RunningApp;
  let s: Scrape;

  beforeAll(async () => {
    app = await spawnApp('app.mjs', { nodeArgs: WITH_AGENT });
    const post = (path: string): Promise<number> => get(app, path, { method: 'POST' });
    expect(await post('/settle/paywall?outcome=success')).toBe(200);
    expect(await post('/settle/paywall?outcome=success')).toBe(200);
    expect(await post('/settle/subscription?outcome=failure')).toBe(502);
    expect(await post('/settle/direct?outcome=pending')).toBe(200);
    // An untyped caller passing a type outside the label set: served, not recorded.
    expect(await post('/settle/bogus?outcome=success')).toBe(200);
    s = await scrape(app.url);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('counts settlements by status and type', () => {
    expect(s.types.get(METRIC_SETTLEMENTS.name)).toBe('counter');
    expect(valueOf(s, METRIC_SETTLEMENTS.name, { status: 'success', type: 'paywall' })).toBe(2);
    expect(valueOf(s, METRIC_SETTLEMENTS.name, { status: 'failure', type: 'subscription' })).toBe(1);
    expect(valueOf(s, METRIC_SETTLEMENTS.name, { status: 'pending', type: 'direct' })).toBe(1);
    expect(samplesOf(s, METRIC_SETTLEMENTS.name)).toHaveLength(3);
    for (const x of samplesOf(s, METRIC_SETTLEMENTS.name)) expect(Object.keys(x.labels).sort()).toEqual(['status', 'type']);
  });

  it('times settlements by status with the settlement bucket list', () => {
    expect(s.types.get(METRIC_SETTLEMENT_DURATION.name)).toBe('histogram');
    expectHistogram(s, METRIC_SETTLEMENT_DURATION.name, { status: 'success' }, SETTLEMENT_DURATION_BUCKETS, 2);
    expectHistogram(s, METRIC_SETTLEMENT_DURATION.name, { status: 'failure' }, SETTLEMENT_DURATION_BUCKETS, 1);
    expectHistogram(s, METRIC_SETTLEMENT_DURATION.name, { status: 'pending' }, SETTLEMENT_DURATION_BUCKETS, 1);
    for (const x of samplesOf(s, `${METRIC_SETTLEMENT_DURATION.name}_count`)) expect(Object.keys(x.labels)).toEqual(['status']);
  });

  it('says once which settlement it could not record', () => {
    const lines = app.logLines().filter((l) => String(l.msg).includes('"bogus"'));
    expect(lines).toHaveLength(1);
    expect(lines[0].level).toBe(40);
  });
});
