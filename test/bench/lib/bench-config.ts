import type { RateTool } from './fixed-rate-load.ts';
import type { Receivers } from './receivers.ts';

/** How the benchmark runs, from its BENCH_* environment. */
export interface BenchConfig {
  readonly rounds: number;
  /** Saturation load per run (wrk). */
  readonly seconds: number;
  /** Fixed-rate load per run, at half of bare's capacity in that round. */
  readonly rateSeconds: number;
  /** The memory phase's sustained load per setup; 0 skips it. */
  readonly rssSeconds: number;
  /** How often the memory phase reads RSS. */
  readonly rssSampleSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly rateTool: RateTool;
  /** Longest wait after a run for its last traces to reach the receiver. */
  readonly traceWaitMs: number;
  readonly serverCore: number;
  readonly loadCore: number;
  /** The app (app.mjs), the path it is loaded on, and the folder servers start in. */
  readonly app: string;
  readonly path: string;
  readonly cwd: string;
  /** Environment every server starts from. */
  readonly baseEnv: Record<string, string>;
  readonly receivers: Receivers;
}
