import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answeredBy, getOnce, spawnCluster, type RunningCluster } from '../helpers/cluster-app.js';
import { wentBackwards } from '../helpers/monotonic.js';
import { parseOpenMetrics } from '../helpers/openmetrics-text.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { parsePrometheusText, promtoolCheckMetrics, samplesOf, valueOf, type Scrape } from '../helpers/prometheus-text.js';

/** The agent's bound on a peer's answer (agent/src/cluster/join-worker-group.ts). */
const PEER_TIMEOUT_MS = 2000;
/** What a scrape may take here at most: the bound plus a wide margin for a loaded machine; a scrape that hangs on a stopped worker never ends. */
const SCRAPE_LIMIT_MS = 20_000;

let running: RunningCluster[] = [];
let receivers: OtlpReceiver[] = [];
const stopped: number[] = [];

afterEach(async () => {
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  await Promise.all(running.map((app) => app.stop()));
  for (const app of running) for (const pid of app.workerPids()) kill(pid, 'SIGKILL');
  running = [];
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function start(env: Record<string, string | undefined> = {}, workers = 2): Promise<RunningCluster> {
  const app = await spawnCluster({ CLUSTER_WORKERS: String(workers), LOG_LEVEL: 'warn', ...env });
  running.push(app);
  await app.waitForWorkers(workers);
  return app;
}

async function scrapeCluster(app: RunningCluster, limitMs = SCRAPE_LIMIT_MS): Promise<Scrape & { by: number | undefined }> {
  const res = await getOnce(`${app.url}/metrics`, {}, limitMs);
  if (res.status !== 200) throw new Error(`scrape: ${res.status} ${res.body}`);
  return { ...parsePrometheusText(res.body), by: answeredBy(res.body) };
}

/** Sends `count` GETs of `path`, each on a connection of its own, so the primary spreads them over the workers. */
async function send(app: RunningCluster, count: number, path = '/payments/1', concurrency = 8): Promise<number[]> {
  const pids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const res = await getOnce(`${app.url}${path}`);
        const pid = /"pid":(\d+)|ok (\d+)/.exec(res.body);
        if (pid) pids.push(Number(pid[1] ?? pid[2]));
      }
    }),
  );
  return pids;
}

const requestsTotal = (s: Scrape): number =>
  samplesOf(s, 'http_requests_total').reduce((sum, x) => sum + x.value, 0);

describe('/metrics of a node:cluster group', () => {
  it('answers for every worker whichever worker receives the scrape', async () => {
    const app = await start();
    const pids = app.workerPids();
    const served = await send(app, 40);
    expect(new Set(served)).toEqual(new Set(pids));
    const answering = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const s = await scrapeCluster(app);
      answering.add(s.by!);
      // Counter and histogram are the group's: every request, whoever served it.
      expect(valueOf(s, 'http_requests_total', { route: '/payments/:id' })).toBe(40);
      expect(valueOf(s, 'http_request_duration_seconds_count', { route: '/payments/:id' })).toBe(40);
      expect(valueOf(s, 'http_request_duration_seconds_bucket', { route: '/payments/:id', le: '+Inf' })).toBe(40);
      expect(valueOf(s, 'twinkle_cluster_workers', { state: 'answered' })).toBe(2);
      expect(valueOf(s, 'twinkle_cluster_workers', { state: 'missing' })).toBe(0);
      expect(samplesOf(s, 'twinkle_cluster_worker_up').map((x) => Number(x.labels.pid)).sort()).toEqual([...pids].sort());
      // Gauges once each: summed or the worst worker's, never one series per worker.
      for (const gauge of ['process_resident_memory_bytes', 'process_heap_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_active_handles_total']) {
        expect(samplesOf(s, gauge)).toHaveLength(1);
      }
      // Two workers hold more than one worker's memory: a sum, not one of them.
      expect(valueOf(s, 'process_resident_memory_bytes')).toBeGreaterThan(2 * 20e6);
    }
    // The primary hands connections round robin: both workers answered scrapes.
    expect(answering).toEqual(new Set(pids));
  });

  it('is valid exposition text that promtool accepts, with the same two complaints as one process', async () => {
    const app = await start();
    await send(app, 10);
    const res = await getOnce(`${app.url}/metrics`);
    const { problems } = await promtoolCheckMetrics(res.body);
    expect(problems.filter((p) => !/nodejs_active_(handles|requests)_total/.test(p))).toEqual([]);
  });

  it('keeps every counter and bucket of a worker SIGKILLed between two scrapes and replaced', async () => {
    const app = await start();
    const [victim] = app.workerPids();
    await send(app, 60);
    const first = await scrapeCluster(app);
    expect(requestsTotal(first)).toBe(60);
    kill(victim, 'SIGKILL');
    const [replacement] = await app.waitForWorkers(1, app.workerPids().slice(0, 2));
    expect(replacement).not.toBe(victim);
    await send(app, 30);
    const second = await scrapeCluster(app);
    expect(wentBackwards(first, second)).toEqual([]);
    // Exactly what was sent: the victim had answered the first scrape and served nothing after it.
    expect(requestsTotal(second)).toBe(90);
    expect(valueOf(second, 'twinkle_cluster_workers', { state: 'exited' })).toBe(1);
    expect(samplesOf(second, 'twinkle_cluster_worker_up').map((x) => Number(x.labels.pid))).not.toContain(victim);
    // The victim's counts were adopted by a live worker: its files are gone from the group's folder.
    const third = await scrapeCluster(app);
    expect(requestsTotal(third)).toBe(90);
    const group = groupFolder(app);
    expect(readdirSync(group).filter((f) => f.includes(`-${victim}-`) || f.startsWith(`w-${victim}-`))).toEqual([]);
  });

  it('answers within its bound without a stopped worker, says which one, and keeps its counts', async () => {
    const app = await start();
    const [stuck, healthy] = app.workerPids();
    await send(app, 20);
    const before = await scrapeCluster(app);
    kill(stuck, 'SIGSTOP');
    stopped.push(stuck);
    // Connections the primary hands the stopped worker wait for it; the others must not.
    const attempts = Array.from({ length: 4 }, () => scrapeCluster(app));
    const answered = await Promise.any(attempts);
    expect(answered.by).toBe(healthy);
    expect(valueOf(answered, 'twinkle_cluster_worker_up', { pid: String(stuck) })).toBe(0);
    expect(valueOf(answered, 'twinkle_cluster_worker_up', { pid: String(healthy) })).toBe(1);
    expect(valueOf(answered, 'twinkle_cluster_workers', { state: 'missing' })).toBe(1);
    expect(answered.text.split('\n')[0]).toContain(`left out: pid ${stuck} (no answer within ${PEER_TIMEOUT_MS} ms`);
    // Its counters as of its last answer: nothing goes backwards while it is stuck.
    expect(wentBackwards(before, answered)).toEqual([]);
    expect(requestsTotal(answered)).toBe(20);
    kill(stuck, 'SIGCONT');
    stopped.length = 0;
    await Promise.allSettled(attempts);
    const after = await scrapeCluster(app);
    expect(valueOf(after, 'twinkle_cluster_workers', { state: 'answered' })).toBe(2);
  });

  it('never goes backwards over 1,000 scrapes spread over the workers under load, with a worker killed halfway', async () => {
    const app = await start();
    let loading = true;
    let sent = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) {
          await getOnce(`${app.url}/payments/${sent % 7}`).catch(() => undefined);
          sent++;
        }
      }),
    );
    const byWorker = new Map<number, number>();
    const problems: string[] = [];
    const failures: string[] = [];
    let killed = false;
    // Two scrapers at once (as two Prometheus replicas), 500 scrapes each, so adoption races too.
    const scraper = async (index: number): Promise<void> => {
      let previous: Scrape | undefined;
      for (let i = 0; i < 500; i++) {
        if (index === 0 && i === 250) {
          kill(app.workerPids()[0], 'SIGKILL');
          killed = true;
        }
        let s: Scrape & { by: number | undefined };
        try {
          s = await scrapeCluster(app, 10_000);
        } catch (err) {
          // A connection the primary had handed the killed worker fails, as a scrape of a
          // crashed process does: Prometheus records a failed scrape, not a counter reset.
          failures.push(`${killed ? 'after' : 'before'} the kill: ${(err as Error).message}`);
          continue;
        }
        byWorker.set(s.by!, (byWorker.get(s.by!) ?? 0) + 1);
        if (previous !== undefined) problems.push(...wentBackwards(previous, s).map((p) => `scrape ${i} of scraper ${index}: ${p}`));
        previous = s;
      }
    };
    try {
      await Promise.all([scraper(0), scraper(1)]);
    } finally {
      loading = false;
      await load;
    }
    expect(problems).toEqual([]);
    expect(failures.filter((f) => f.startsWith('before')).length).toBe(0);
    expect(failures.length).toBeLessThanOrEqual(4);
    expect(sent).toBeGreaterThan(0);
    // The scrapes were spread over the workers: the two first ones and the replacement.
    expect(byWorker.size).toBeGreaterThanOrEqual(3);
  }, 240_000);

  it('starts from zero when the whole group restarts (a new primary), and removes the old group', async () => {
    const app = await start();
    await send(app, 25);
    expect(requestsTotal(await scrapeCluster(app))).toBe(25);
    const folder = groupFolder(app);
    await app.stop();
    running = running.filter((r) => r !== app);
    const again = await start();
    await send(again, 5);
    const s = await scrapeCluster(again);
    expect(requestsTotal(s)).toBe(5);
    expect(valueOf(s, 'twinkle_cluster_workers', { state: 'exited' })).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });

  it('covers the workers that run the agent when another runs without it', async () => {
    // Worker 1 of 3 runs with OTEL_SDK_DISABLED=true.
    const app = await start({ CLUSTER_DISABLED: '1' }, 3);
    const pids = app.workerPids();
    const disabled = app.pidOfIndex(1);
    const served = await send(app, 30);
    const byAgent = served.filter((pid) => pid !== disabled).length;
    expect(served.filter((pid) => pid === disabled).length).toBeGreaterThan(0);
    let agentScrapes = 0;
    for (let i = 0; i < 9; i++) {
      const res = await getOnce(`${app.url}/metrics`);
      if (res.status === 404) continue; // the worker without the agent answers as the app does
      expect(res.status).toBe(200);
      agentScrapes++;
      const s = parsePrometheusText(res.body);
      expect(requestsTotal(s)).toBe(byAgent);
      expect(samplesOf(s, 'twinkle_cluster_worker_up').map((x) => Number(x.labels.pid)).sort()).toEqual(pids.filter((p) => p !== disabled).sort());
      expect(res.body.split('\n')[0]).toMatch(/^# answered by pid \d+; this scrape covers 2 worker\(s\)/);
      const { problems } = await promtoolCheckMetrics(res.body);
      expect(problems.filter((p) => !/nodejs_active_(handles|requests)_total/.test(p))).toEqual([]);
    }
    expect(agentScrapes).toBeGreaterThanOrEqual(4);
  });

  it("writes exemplars from any worker into one OpenMetrics scrape, and keeps each worker's traces apart", async () => {
    const receiver = await startOtlpReceiver();
    receivers.push(receiver);
    const app = await start({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      TWINKLE_EXEMPLAR_INTERVAL_MS: '1',
      LOG_LEVEL: 'info',
    });
    const pids = app.workerPids();
    let both = false;
    for (let round = 0; round < 10 && !both; round++) {
      // Two series, on two connections: the primary hands them to two workers.
      await getOnce(`${app.url}/`);
      await getOnce(`${app.url}/payments/${round}`);
      // Access lines leave within 100 ms: wait for this round's two before reading them.
      const completed = () => app.jsonLines().filter((l) => l.msg === 'Request completed').length;
      for (let waited = 0; completed() < 2 * (round + 1) && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const res = await getOnce(`${app.url}/metrics`, { accept: 'application/openmetrics-text; version=1.0.0' });
      const om = parseOpenMetrics(res.body);
      const traceIds = om.samples.flatMap((x) => (x.exemplar ? [x.exemplar.labels.trace_id] : []));
      const pidOfTrace = new Map(
        app.jsonLines().filter((l) => l.msg === 'Request completed').map((l) => [l.trace_id as string, l.pid as number]),
      );
      const exemplarPids = new Set(traceIds.map((t) => pidOfTrace.get(t)));
      both = pids.every((pid) => exemplarPids.has(pid));
    }
    expect(both).toBe(true);
    // Traces and logs stay per worker: a service.instance.id and a pid each.
    const spans = await receiver.waitFor((s) => new Set(s.map((x) => x.resource['process.pid'])).size === 2);
    const instances = new Map(spans.map((s) => [s.resource['process.pid'], s.resource['service.instance.id']]));
    expect(new Set(instances.keys())).toEqual(new Set(pids));
    expect(new Set(instances.values()).size).toBe(2);
    const logPids = new Set(app.jsonLines().filter((l) => l.msg === 'Request completed').map((l) => l.pid));
    expect(logPids).toEqual(new Set(pids));
  });
});

/** The folder the group's workers share (`<tmp>/twinkle-cluster-<uid>/<primary pid>-<hash>`). */
function groupFolder(app: RunningCluster): string {
  const root = join(tmpdir(), `twinkle-cluster-${process.getuid?.() ?? 'user'}`);
  const name = readdirSync(root).find((n) => n.startsWith(`${app.child.pid}-`));
  if (name === undefined) throw new Error(`no group folder for primary ${app.child.pid} in ${root}`);
  return join(root, name);
}

