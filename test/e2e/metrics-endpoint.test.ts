import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_HTTP_REQUESTS, ROUTE_UNMATCHED } from '@twinkle/semconv';
import { sendRequests } from '../helpers/load.js';
import { parsePrometheusText, promtoolCheckMetrics, scrape, seriesCount, valueOf } from '../helpers/prometheus-text.js';
import { freePort } from '../helpers/loopback-server.js';
import { spawnApp, WITH_AGENT, type RunningApp } from '../helpers/spawn-app.js';

const REQUESTS = METRIC_HTTP_REQUESTS.name;
let running: RunningApp[] = [];

afterEach(async () => {
  await Promise.all(running.map((a) => a.stop()));
  running = [];
});

async function start(...args: Parameters<typeof spawnApp>): Promise<RunningApp> {
  const app = await spawnApp(...args);
  running.push(app);
  return app;
}


describe('route label cardinality', () => {
  it('keeps the number of series fixed across 10,000 distinct unmatched paths', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT });
    await (await fetch(`${app.url}/payments/1`)).arrayBuffer();
    await (await fetch(`${app.url}/first-random-${Math.random()}`)).arrayBuffer();
    const after1 = await scrape(app.url);
    const statuses = await sendRequests(
      (i) => `${app.url}/${Math.random().toString(36).slice(2)}/${i}?q=${i}`,
      10_000,
      64,
    );
    expect(statuses.get(404)).toBe(10_000);
    const after = await scrape(app.url);
    const httpSeries = (s: typeof after): string[] =>
      s.samples.filter((x) => x.name.startsWith('http_request')).map((x) => `${x.name}${JSON.stringify(x.labels)}`);
    expect(httpSeries(after)).toEqual(httpSeries(after1));
    expect(seriesCount(after)).toBe(seriesCount(after1));
    expect(valueOf(after, REQUESTS, { method: 'GET', route: ROUTE_UNMATCHED, status_code: '404' })).toBe(10_001);
  });
});

describe('a scrape during load', () => {
  it('returns complete, valid text every time', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT });
    const load = sendRequests((i) => `${app.url}/${i % 3 === 0 ? 'nope' : 'payments'}/${i}`, 6_000, 48);
    const texts: string[] = [];
    let loadDone = false;
    void load.then(() => (loadDone = true));
    while (!loadDone || texts.length < 5) {
      const res = await fetch(`${app.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      texts.push(await res.text());
    }
    await load;
    let previous = 0;
    for (const text of texts) {
      expect(text.endsWith('\n')).toBe(true);
      const s = parsePrometheusText(text);
      const count = samplesSum(s, REQUESTS);
      // Counters only grow between scrapes, and histogram count equals the counter.
      expect(count).toBeGreaterThanOrEqual(previous);
      expect(samplesSum(s, 'http_request_duration_seconds_count')).toBe(count);
      previous = count;
    }
    const { problems } = await promtoolCheckMetrics(texts[Math.floor(texts.length / 2)]);
    expect(problems.every((p) => p.includes('non-counter metrics should not have "_total" suffix'))).toBe(true);
  });
});

function samplesSum(s: ReturnType<typeof parsePrometheusText>, name: string): number {
  return s.samples.filter((x) => x.name === name).reduce((a, x) => a + x.value, 0);
}

describe('an app that itself defines GET /metrics', () => {
  it('is answered by the agent on the app port, with one warning naming the way out', async () => {
    const app = await start('app.mjs', { nodeArgs: WITH_AGENT, env: { FIXTURE_OWN_METRICS: '1' } });
    await (await fetch(`${app.url}/payments/1`)).arrayBuffer();
    await (await fetch(`${app.url}/payments/2`)).arrayBuffer();
    const res = await fetch(`${app.url}/metrics`);
    const body = await res.text();
    expect(body).not.toContain('app metrics');
    expect(valueOf(parsePrometheusText(body), REQUESTS, { route: '/payments/:id' })).toBe(2);
    const warnings = app.logLines().filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      "the app registers GET /metrics; the agent answers /metrics before the app sees it (set OTEL_EXPORTER_PROMETHEUS_PORT to serve metrics on their own port and give /metrics back to the app)",
    ]);
  });

  it("keeps the app's own /metrics when metrics have a dedicated listener", async () => {
    const port = await freePort();
    const app = await start('app.mjs', {
      nodeArgs: WITH_AGENT,
      env: { FIXTURE_OWN_METRICS: '1', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
    });
    expect(await (await fetch(`${app.url}/metrics`)).text()).toBe('app metrics');
    await (await fetch(`${app.url}/payments/1`)).arrayBuffer();
    const s = await scrape(`http://127.0.0.1:${port}`);
    expect(valueOf(s, REQUESTS, { route: '/payments/:id' })).toBe(1);
    // The app's /metrics is an app route now, counted like any other.
    expect(valueOf(s, REQUESTS, { route: '/metrics' })).toBe(1);
    // The dedicated listener answers only /metrics, and its scrapes are not counted.
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    const again = await scrape(`http://127.0.0.1:${port}`);
    expect(valueOf(again, REQUESTS, { route: '/metrics' })).toBe(1);
    expect(app.logLines().filter((l) => Number(l.level) >= 40)).toEqual([]);
    expect(String(app.agentLines()[0].msg)).toBe(
      `agent started: metrics http://127.0.0.1:${port}/metrics, traces none`,
    );
  });

  it('is served by the app when there is no agent', async () => {
    const app = await start('app.mjs', { env: { FIXTURE_OWN_METRICS: '1' } });
    expect(await (await fetch(`${app.url}/metrics`)).text()).toBe('app metrics');
  });
});
