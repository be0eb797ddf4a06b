import type { RunResult } from './run-setup.ts';
import { median } from './stats.ts';

/**
 * One setup's figures on one shape: each the median over rounds, and each comparison to bare
 * the median of the per-round pairs with that round's bare run (the machine drifts between
 * rounds; a pair shares the drift).
 */
export interface SetupFigures {
  readonly rounds: number;
  readonly rps: number;
  /** rps / bare's rps. */
  readonly ratio: number;
  /** 1e6 / rps − 1e6 / bare's rps: valid while the server core is saturated. */
  readonly addedCpuUs: number;
  /** The server core's lowest busy % during saturation over the rounds. */
  readonly minBusyPercent: number;
  readonly startupMs: number;
  readonly startupRatio: number;
  readonly p99SaturationMs: number;
  /** The fixed rate (half of bare's capacity), requests/s. */
  readonly fixedRate: number;
  readonly p99FixedRateMs: number;
  /** p99 at the fixed rate − bare's. */
  readonly p99FixedRateDiffMs: number;
  /** Some round could not keep the fixed rate: its p99 is a lower bound. */
  readonly fixedRateOverloaded: boolean;
  readonly rssMb: number;
}

/** Figures of a setup's `runs` paired, round by round, with bare's `bareRuns`. */
export function pairedFigures(runs: readonly RunResult[], bareRuns: readonly RunResult[]): SetupFigures {
  if (runs.length !== bareRuns.length) throw new Error('a setup and bare must have run the same rounds');
  const pairs = runs.map((run, i) => [run, bareRuns[i]] as const);
  const m = (f: (run: RunResult, bare: RunResult) => number): number => median(pairs.map(([run, bare]) => f(run, bare)));
  return {
    rounds: runs.length,
    rps: m((r) => r.saturation.requestsPerSecond),
    ratio: m((r, b) => r.saturation.requestsPerSecond / b.saturation.requestsPerSecond),
    addedCpuUs: m((r, b) => 1e6 / r.saturation.requestsPerSecond - 1e6 / b.saturation.requestsPerSecond),
    minBusyPercent: Math.min(...runs.map((r) => r.saturation.busyPercent)),
    startupMs: m((r) => r.startupMs),
    startupRatio: m((r, b) => r.startupMs / b.startupMs),
    p99SaturationMs: m((r) => r.saturation.p99Ms),
    fixedRate: m((r) => r.fixedRate.rate),
    p99FixedRateMs: m((r) => r.fixedRate.p99Ms),
    p99FixedRateDiffMs: m((r, b) => r.fixedRate.p99Ms - b.fixedRate.p99Ms),
    fixedRateOverloaded: runs.some((r) => r.fixedRate.lowerBound),
    rssMb: m((r) => r.rssMb),
  };
}
