/**
 * A worker of a node:cluster group SIGKILLed and replaced between two scrapes of a real
 * Prometheus (Debian's, scraping every second): Prometheus sees no counter reset, and
 * rate() over the change shows nothing above the load actually sent. The load is paced
 * (batches of 5 requests at least 250 ms apart: at most 20 requests a second, fewer on a
 * slow machine) and every request is counted.
 * Run by `npm run test:stack`; binds Prometheus' fixed port 9090 (run under the stack lock).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { getOnce, spawnCluster, type RunningCluster } from '../helpers/cluster-app.js';
import { instantQuery } from './prometheus-api.js';
import { eventually, ready, startProcess, type StackProcess } from './processes.js';

const PROMETHEUS = 'http://127.0.0.1:9090';
const BATCH = 5;
const BATCH_GAP_MS = 250;
/** The most requests a second the paced load can send. */
const MAX_RPS = (BATCH * 1000) / BATCH_GAP_MS;

/** Sends `batches` batches of BATCH requests, each batch after the last one finished and BATCH_GAP_MS more; returns how many were answered. */
async function pacedLoad(app: RunningCluster, batches: number): Promise<number> {
  let answered = 0;
  for (let b = 0; b < batches; b++) {
    const results = await Promise.all(Array.from({ length: BATCH }, (_, i) => getOnce(`${app.url}/payments/${b * BATCH + i}`)));
    answered += results.filter((r) => r.status === 200).length;
    await new Promise((r) => setTimeout(r, BATCH_GAP_MS));
  }
  return answered;
}

async function promValue(expr: string): Promise<number | undefined> {
  const result = await instantQuery(PROMETHEUS, expr);
  return result.length === 1 ? Number(result[0].value[1]) : undefined;
}

describe('a worker replaced between two scrapes of a real Prometheus', () => {
  let app: RunningCluster;
  let prometheus: StackProcess;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'twinkle-cluster-stack-'));
    app = await spawnCluster({ CLUSTER_WORKERS: '2', LOG_LEVEL: 'warn' });
    await app.waitForWorkers(2);
    writeFileSync(
      join(scratch, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s' },
        scrape_configs: [{ job_name: 'twinkle-cluster', static_configs: [{ targets: [`127.0.0.1:${app.port}`] }] }],
      }),
    );
    prometheus = startProcess('prometheus', 'prometheus', [
      `--config.file=${join(scratch, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(scratch, 'data')}`,
      '--web.listen-address=127.0.0.1:9090',
    ]);
    await ready(prometheus, `${PROMETHEUS}/-/ready`);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    for (const pid of app?.workerPids() ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await prometheus?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('shows no reset and no rate above the load sent', async () => {
    const started = Date.now();
    const firstPhase = await pacedLoad(app, 40);
    // Prometheus has scraped every request of the first phase: the victim's counts are in a scrape.
    await eventually('Prometheus holding the first phase', async () => ((await promValue('sum(http_requests_total)')) === firstPhase ? true : undefined), 30_000, 500);
    const [victim] = app.workerPids();
    process.kill(victim, 'SIGKILL');
    await app.waitForWorkers(1, app.workerPids().slice(0, 2));
    const secondPhase = await pacedLoad(app, 40);
    const sent = firstPhase + secondPhase;
    expect(sent).toBe(400);
    await eventually('Prometheus holding every request', async () => ((await promValue('sum(http_requests_total)')) === sent ? true : undefined), 30_000, 500);
    await eventually('a scrape counting the exited worker', async () => ((await promValue('twinkle_cluster_workers{state="exited"}')) === 1 ? true : undefined), 30_000, 500);

    const window = `${Math.ceil((Date.now() - started) / 1000) + 5}s`;
    // No series was ever seen going down.
    const resets = await instantQuery(PROMETHEUS, `resets(http_requests_total[${window}]) > 0 or resets(http_request_duration_seconds_bucket[${window}]) > 0`);
    expect(resets).toEqual([]);
    // The increase over the whole test is the requests sent (a reset would add what the
    // survivors had counted again); increase() extrapolates to the window's edges, hence the margin.
    const increase = await promValue(`sum(increase(http_requests_total[${window}]))`);
    expect(increase).toBeLessThanOrEqual(sent * 1.25);
    // And no moment's rate above what the paced load can send.
    const peak = await promValue(`max_over_time(sum(rate(http_requests_total[5s]))[${window}:1s])`);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(MAX_RPS * 1.5);
  }, 180_000);
});
