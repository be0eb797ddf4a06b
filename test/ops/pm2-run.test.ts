import { afterEach, describe, expect, it } from 'vitest';
import { answeredBy, getOnce } from '../helpers/cluster-app.js';
import { freePort } from '../helpers/loopback-server.js';
import { wentBackwards } from '../helpers/monotonic.js';
import { parsePrometheusText, samplesOf, valueOf, type Scrape } from '../helpers/prometheus-text.js';
import { eventually } from '../stack/processes.js';
import { createPm2, type Pm2 } from './helpers/pm2.js';

// The API needs Redis and PostgreSQL: the test servers of .ci/services.sh (or the URLs set).
const SERVICE_ENV = {
  REDIS_URL: process.env.TWINKLE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390',
  DATABASE_URL: process.env.TWINKLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5433/twinkle',
  OTEL_TRACES_EXPORTER: 'none',
};

let pm2: Pm2 | undefined;

afterEach(async () => {
  await pm2?.kill();
  pm2 = undefined;
});

/** How long each step waits for what it polls (pm2 starting or reloading two workers takes seconds). */
const STEP_MS = 60_000;

async function scrape(url: string): Promise<Scrape & { by: number | undefined }> {
  const res = await getOnce(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`scrape: ${res.status}`);
  return { ...parsePrometheusText(res.body), by: answeredBy(res.body) };
}

const healthRequests = (s: Scrape): number => samplesOf(s, 'http_requests_total', { route: '/health' }).reduce((sum, x) => sum + x.value, 0);

/** Sends `count` GETs of /health, each on a connection of its own; returns how many were answered. */
async function sendHealth(url: string, count: number): Promise<number> {
  let answered = 0;
  for (let i = 0; i < count; i++) if ((await getOnce(`${url}/health`)).status > 0) answered++;
  return answered;
}

/** The pino lines `pm2 logs` shows for the app (pm2 prefixes each with the process and stream). */
async function pm2Lines(p: Pm2): Promise<Array<Record<string, unknown>>> {
  const out = await p.logs('twinkle-api', 500);
  return out
    .split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe('pm2 from npm runs the process files', () => {
  it('fork mode (ecosystem.config.cjs): /metrics answers and `pm2 logs twinkle-api` shows the agent\'s lines', async () => {
    pm2 = createPm2();
    const port = await freePort();
    await pm2.run('start', pm2.processFile('ecosystem.config.cjs', 'twinkle-api', port, SERVICE_ENV));
    const url = `http://127.0.0.1:${port}`;
    await eventually('the API answering', async () => ((await getOnce(`${url}/health`)).status > 0 ? true : undefined), STEP_MS, 200);
    await sendHealth(url, 3);
    const s = await scrape(url);
    expect(healthRequests(s)).toBeGreaterThanOrEqual(3);
    // One process: no cluster families.
    expect(samplesOf(s, 'twinkle_cluster_workers')).toEqual([]);
    const lines = await eventually('access lines in pm2 logs', async () => {
      const l = await pm2Lines(pm2!);
      return l.filter((x) => x.msg === 'Request completed' && x.path === '/health').length >= 3 ? l : undefined;
    }, STEP_MS, 200);
    expect(lines.some((l) => l.name === '@twinkle/agent' && String(l.msg).startsWith('agent started'))).toBe(true);
    expect(lines.find((l) => l.msg === 'Request completed')?.service).toBe('twinkle-api');
  });

  it('cluster mode (ecosystem.cluster.config.cjs): one /metrics for both workers, their lines in `pm2 logs`, and `pm2 reload` keeps counters monotonic', async () => {
    pm2 = createPm2();
    const port = await freePort();
    await pm2.run('start', pm2.processFile('ecosystem.cluster.config.cjs', 'twinkle-api', port, SERVICE_ENV, 2));
    const url = `http://127.0.0.1:${port}`;
    const first = await eventually('both workers online', async () => {
      const list = await pm2!.processes();
      return list.length === 2 && list.every((p) => p.status === 'online' && p.pid > 0) ? list.map((p) => p.pid) : undefined;
    }, STEP_MS, 200);
    let sent = await eventually('the API answering', async () => ((await getOnce(`${url}/health`)).status > 0 ? 1 : undefined), STEP_MS, 200);
    // pm2 says "online" before a worker listens: requests go to both only once both listen.
    // pm2 takes a cluster worker's lines from process.stdout.write: the agent's are among them,
    // with the service name pm2 gives the app (read from pm2_env before pm2 copies it).
    const lines = await eventually('access lines of both workers in pm2 logs', async () => {
      sent += await sendHealth(url, 2);
      const l = await pm2Lines(pm2!);
      const pids = new Set(l.filter((x) => x.msg === 'Request completed').map((x) => x.pid));
      return first.every((pid) => pids.has(pid)) ? l : undefined;
    }, STEP_MS, 200);
    expect(lines.filter((l) => l.msg === 'Request completed').every((l) => l.service === 'twinkle-api')).toBe(true);
    const started = lines.filter((l) => l.name === '@twinkle/agent' && String(l.msg).startsWith('agent started')).map((l) => l.pid);
    expect(new Set(started)).toEqual(new Set(first));

    const before = await eventually('a scrape covering both workers', async () => {
      const s = await scrape(url);
      return samplesOf(s, 'twinkle_cluster_worker_up').filter((x) => x.value === 1).length === 2 ? s : undefined;
    }, STEP_MS, 200);
    expect(new Set(samplesOf(before, 'twinkle_cluster_worker_up').map((x) => Number(x.labels.pid)))).toEqual(new Set(first));
    // Every /health request sent so far, whichever worker served it.
    const counted = healthRequests(before);
    expect(counted).toBe(sent);

    await pm2.run('reload', 'twinkle-api');
    const second = await eventually('two new workers online', async () => {
      const list = await pm2!.processes();
      return list.length === 2 && list.every((p) => p.status === 'online' && !first.includes(p.pid)) ? list.map((p) => p.pid) : undefined;
    }, STEP_MS, 200);
    const after = await eventually('a scrape covering the new workers', async () => {
      const s = await scrape(url);
      const up = samplesOf(s, 'twinkle_cluster_worker_up').filter((x) => x.value === 1).map((x) => Number(x.labels.pid));
      return second.every((pid) => up.includes(pid)) && up.length === 2 ? s : undefined;
    }, STEP_MS, 200);
    expect(wentBackwards(before, after)).toEqual([]);
    expect(valueOf(after, 'twinkle_cluster_workers', { state: 'exited' })).toBe(2);
    // Nothing was sent between the two scrapes but the scrapes: the old workers' requests all count.
    expect(healthRequests(after)).toBe(counted);
    await sendHealth(url, 5);
    expect(healthRequests(await scrape(url))).toBe(counted + 5);
  }, 300_000);
});
