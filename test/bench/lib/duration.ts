import type { BenchConfig } from './bench-config.ts';
import type { Setup } from './setups.ts';

/** Allowance per server start (start-up, stop) and per load tool start, seconds. */
const START_S = 1.5;
/** Typical wait for a traced setup's last exports after its load (dd-trace flushes every 2 s, the NodeSDK every 5 s). */
const TRACE_WAIT_TYPICAL_S = 3;

/** The cluster phase's setups per round (cluster-phase.ts), and the seconds its scrapes take at most. */
const CLUSTER_SETUPS = 4;
const CLUSTER_SCRAPE_S = 2;

/** How long a run of the benchmark takes, in seconds: its rounds on both shapes, the memory phase, then the cluster phase. */
export function estimateRunSeconds(
  config: BenchConfig,
  setups: readonly Setup[],
  shapes: number,
  clusterRounds = 0,
): { rounds: number; memory: number; cluster: number; total: number } {
  const traced = setups.filter((s) => s.receiver).length;
  const perRound = setups.length * (START_S + config.warmupSeconds + config.seconds + config.rateSeconds + 1) + traced * TRACE_WAIT_TYPICAL_S;
  const rounds = shapes * config.rounds * perRound;
  const memory = config.rssSeconds > 0 ? setups.length * (START_S + config.rssSeconds) + traced * TRACE_WAIT_TYPICAL_S : 0;
  const cluster = clusterRounds * CLUSTER_SETUPS * (START_S + config.warmupSeconds + config.seconds + CLUSTER_SCRAPE_S / 2);
  return { rounds, memory, cluster, total: rounds + memory + cluster };
}
