import { request } from 'node:http';
import { spawnApp, WITH_AGENT, type RunningApp, type SpawnOptions } from './spawn-app.js';

/** A node:cluster primary (fixtures/cluster-app.mjs) and its workers. */
export interface RunningCluster extends RunningApp {
  /** Pids of every worker that has listened so far, in order. */
  workerPids(): number[];
  /** The pid of the worker forked as `index` (the fixture's CLUSTER_DISABLED counts so), the latest if it was replaced. */
  pidOfIndex(index: number): number | undefined;
  /** Waits until `count` workers other than `excluding` have listened; returns their pids. */
  waitForWorkers(count: number, excluding?: readonly number[], timeoutMs?: number): Promise<number[]>;
}

/** Starts fixtures/cluster-app.mjs with the agent in Node's flags (the workers inherit them). */
export async function spawnCluster(env: Record<string, string | undefined> = {}, options: SpawnOptions = {}): Promise<RunningCluster> {
  const app = await spawnApp('cluster-app.mjs', { nodeArgs: WITH_AGENT, ...options, env: { OTEL_METRICS_EXPORTER: undefined, ...env } });
  const workerPids = (): number[] => [...app.stderr().matchAll(/^WORKER (\d+) \d+$/gm)].map((m) => Number(m[1]));
  return {
    ...app,
    workerPids,
    pidOfIndex: (index) => [...app.stderr().matchAll(new RegExp(`^WORKER (\\d+) ${index}$`, 'gm'))].map((m) => Number(m[1])).at(-1),
    async waitForWorkers(count, excluding = [], timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const pids = workerPids().filter((pid) => !excluding.includes(pid));
        if (pids.length >= count) return pids.slice(0, count);
        if (Date.now() > until) throw new Error(`${count} workers did not listen; stderr: ${app.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** One GET on a connection of its own (a cluster primary hands each connection to the next worker). */
export function getOnce(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The pid named in a cluster scrape's first line (`# answered by pid <pid>; ...`). */
export function answeredBy(text: string): number | undefined {
  const m = /^# answered by pid (\d+);/.exec(text);
  return m ? Number(m[1]) : undefined;
}
