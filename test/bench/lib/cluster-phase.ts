import { Agent, request } from 'node:http';
import type { BenchConfig } from './bench-config.ts';
import { runLoad } from './load.ts';
import { groupCpuSeconds } from './process-cpu.ts';
import { startServer } from './server.ts';
import { median } from './stats.ts';

/** How many workers the cluster rows run, and on which cores: all of the machine's two. */
export const CLUSTER_WORKERS = 2;
const ALL_CORES = '0,1';
/** Scrapes per run, to measure what one costs (CPU times have 10 ms ticks: 500 x ~0.5 ms is ~25 ticks). */
const SCRAPES = 500;

/** One setup of the cluster phase: one process or a group, bare or under the agent (metrics only). */
interface ClusterSetup {
  readonly name: string;
  readonly workers: 1 | typeof CLUSTER_WORKERS;
  readonly agent: boolean;
}

const SETUPS: readonly ClusterSetup[] = [
  { name: '1 process, bare', workers: 1, agent: false },
  { name: '1 process, agent', workers: 1, agent: true },
  { name: `${CLUSTER_WORKERS} workers, bare`, workers: CLUSTER_WORKERS, agent: false },
  { name: `${CLUSTER_WORKERS} workers, agent`, workers: CLUSTER_WORKERS, agent: true },
];

/** One run: the servers' CPU per request at saturation, and per scrape of /metrics. */
interface ClusterRun {
  readonly rps: number;
  readonly cpuUsPerRequest: number;
  readonly cpuMsPerScrape: number | undefined;
}

/** The phase's figures per setup (medians over rounds) and per pair (agent minus bare, per round). */
export interface ClusterFigures {
  readonly rows: ReadonlyArray<{ name: string; rps: number; cpuUsPerRequest: number; cpuMsPerScrape: number | undefined }>;
  /** Added CPU µs per request of the agent over bare, per round: one process, and the group. */
  readonly addedSingle: number[];
  readonly addedCluster: number[];
  /** CPU per scrape of the group / of one process, per round. */
  readonly scrapeRatio: number[];
}

/** One GET over `agent`'s connection. */
function get(agent: Agent, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs one setup: the server (one process pinned to the server core, as the other rows; or
 * a node:cluster group of CLUSTER_WORKERS workers on both cores), a warm-up, wrk at
 * saturation (on the load core for one process; on both cores beside the group), reading
 * the CPU time the server's processes used (/proc, primary and workers) per request; then,
 * under the agent, SCRAPES scrapes of /metrics one after the other on one kept-alive
 * connection, as Prometheus scrapes (so the primary's hand-over of a new connection to a
 * worker, Node's cost of any connection in a cluster, is not counted as the scrape's), and
 * the CPU they cost the group: the worker it reaches and the peer it asks.
 */
async function runClusterSetup(config: BenchConfig, setup: ClusterSetup, port: number): Promise<ClusterRun> {
  const cluster = setup.workers > 1;
  const server = await startServer({
    script: cluster ? new URL('../cluster-app.mjs', import.meta.url).pathname : config.app,
    nodeArgs: setup.agent ? ['--import', '@twinkle/agent'] : [],
    env: { ...config.baseEnv, ...(setup.agent ? { OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' } : {}), BENCH_WORKERS: String(setup.workers) },
    port,
    core: cluster ? ALL_CORES : config.serverCore,
    path: config.path,
    cwd: config.cwd,
  });
  try {
    const pid = server.child.pid!;
    const url = `http://127.0.0.1:${port}${config.path}`;
    const load = { connections: config.connections, core: cluster ? ALL_CORES : config.loadCore };
    await runLoad(url, { ...load, seconds: config.warmupSeconds });
    const before = groupCpuSeconds(pid);
    const saturation = await runLoad(url, { ...load, seconds: config.seconds });
    const cpuUsPerRequest = ((groupCpuSeconds(pid) - before) * 1e6) / saturation.requests;
    let cpuMsPerScrape: number | undefined;
    if (setup.agent) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await get(agent, port, '/metrics');
      const start = groupCpuSeconds(pid);
      for (let i = 0; i < SCRAPES; i++) await get(agent, port, '/metrics');
      cpuMsPerScrape = ((groupCpuSeconds(pid) - start) * 1e3) / SCRAPES;
      agent.destroy();
    }
    return { rps: saturation.requestsPerSecond, cpuUsPerRequest, cpuMsPerScrape };
  } finally {
    // SIGKILL of a primary leaves its workers: they exit when their IPC channel closes.
    await server.stop();
  }
}

/** The cluster phase: `rounds` rounds of the four setups, in reverse order every other round. */
export async function runClusterPhase(config: BenchConfig, rounds: number, nextPort: () => number, log: (line: string) => void): Promise<ClusterFigures> {
  const runs = new Map<string, ClusterRun[]>(SETUPS.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? SETUPS : [...SETUPS].reverse();
    for (const setup of order) {
      const run = await runClusterSetup(config, setup, nextPort());
      runs.get(setup.name)!.push(run);
      log(
        `[cluster] round ${round + 1} ${setup.name.padEnd(18)} ${run.rps.toFixed(0).padStart(6)} req/s, server CPU ${run.cpuUsPerRequest.toFixed(1)} µs/req` +
          (run.cpuMsPerScrape === undefined ? '' : `, ${run.cpuMsPerScrape.toFixed(2)} ms CPU per scrape`),
      );
    }
  }
  const [singleBare, singleAgent, clusterBare, clusterAgent] = SETUPS.map((s) => runs.get(s.name)!);
  const perRound = (f: (i: number) => number): number[] => Array.from({ length: rounds }, (_, i) => f(i));
  return {
    rows: SETUPS.map((s) => {
      const r = runs.get(s.name)!;
      const scrapes = r.flatMap((x) => (x.cpuMsPerScrape === undefined ? [] : [x.cpuMsPerScrape]));
      return {
        name: s.name,
        rps: median(r.map((x) => x.rps)),
        cpuUsPerRequest: median(r.map((x) => x.cpuUsPerRequest)),
        cpuMsPerScrape: scrapes.length > 0 ? median(scrapes) : undefined,
      };
    }),
    addedSingle: perRound((i) => singleAgent[i].cpuUsPerRequest - singleBare[i].cpuUsPerRequest),
    addedCluster: perRound((i) => clusterAgent[i].cpuUsPerRequest - clusterBare[i].cpuUsPerRequest),
    scrapeRatio: perRound((i) => clusterAgent[i].cpuMsPerScrape! / singleAgent[i].cpuMsPerScrape!),
  };
}

/** The phase's table and its two checks. */
export function formatClusterFigures(f: ClusterFigures, seconds: number): string[] {
  const range = (xs: number[]): string => `${median(xs).toFixed(1)} (rounds: ${xs.map((x) => x.toFixed(1)).join(', ')})`;
  const lines = [
    `### node:cluster, ${CLUSTER_WORKERS} workers on ${CLUSTER_WORKERS} cores (wrk beside them), against one process pinned to one core`,
    '',
    `Server CPU per request: the CPU time of the server's processes (primary and workers, /proc) over ${seconds} s of wrk at saturation, / requests. Scrape: ${SCRAPES} scrapes of /metrics one after another on one kept-alive connection, CPU of every process of the server.`,
    '',
    '| setup | req/s | server CPU µs per request | CPU ms per scrape (all processes) |',
    '| --- | ---: | ---: | ---: |',
    ...f.rows.map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.cpuMsPerScrape === undefined ? '' : r.cpuMsPerScrape.toFixed(2)} |`),
    '',
    `Added CPU µs per request, agent over bare: one process ${range(f.addedSingle)}; ${CLUSTER_WORKERS} workers ${range(f.addedCluster)}.`,
    `A scrape of the ${CLUSTER_WORKERS}-worker group costs ${median(f.scrapeRatio).toFixed(2)} x one process's (rounds: ${f.scrapeRatio.map((x) => x.toFixed(2)).join(', ')}; target <= 2).`,
  ];
  return lines;
}
