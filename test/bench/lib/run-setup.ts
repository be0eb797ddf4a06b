import type { BenchConfig } from './bench-config.ts';
import { coreUsage, readCoreTimes } from './cpu-busy.ts';
import { runFixedRateLoad } from './fixed-rate-load.ts';
import type { FixedRateResult } from './fixed-rate-result.ts';
import { runLoad, type LoadResult } from './load.ts';
import { startServer } from './server.ts';
import type { Setup, Shape } from './setups.ts';
import { checkTraces, type TraceCheck } from './trace-check.ts';

/** One setup's run in one round. */
export interface RunResult {
  readonly startupMs: number;
  readonly saturation: LoadResult & { readonly busyPercent: number; readonly stealPercent: number };
  readonly fixedRate: FixedRateResult;
  /** RSS right after the saturation load, MB. */
  readonly rssMb: number;
  readonly traces?: TraceCheck;
}

/**
 * Starts `setup` on the server core, warms it up, loads it to saturation (reading how busy
 * its core was), then at `fixedRate` requests/s (half of its own capacity when not given:
 * bare's run), and checks that its receiver got a trace for every request.
 */
export async function runSetup(config: BenchConfig, setup: Setup, shape: Shape, port: number, fixedRate?: number): Promise<RunResult> {
  const before = setup.receiver ? await config.receivers.counts(setup.receiver) : undefined;
  const server = await startServer({
    script: config.app,
    nodeArgs: setup.nodeArgs,
    env: { ...config.baseEnv, ...setup.env, BENCH_SHAPE: shape },
    port,
    core: config.serverCore,
    path: config.path,
    cwd: config.cwd,
  });
  try {
    const url = `http://127.0.0.1:${port}${config.path}`;
    const load = { connections: config.connections, core: config.loadCore };
    const warmup = await runLoad(url, { ...load, seconds: config.warmupSeconds });
    const cpuBefore = readCoreTimes(config.serverCore);
    const saturation = await runLoad(url, { ...load, seconds: config.seconds });
    const usage = coreUsage(cpuBefore, readCoreTimes(config.serverCore));
    const rssMb = server.rssMb();
    const rate = fixedRate ?? saturation.requestsPerSecond / 2;
    const fixed = await runFixedRateLoad(url, { ...load, rate, seconds: config.rateSeconds, tool: config.rateTool });
    const traces =
      setup.receiver && before
        ? await checkTraces({
            receiver: setup.receiver,
            before,
            read: () => config.receivers.counts(setup.receiver!),
            // the start-up probe's 200, and every response the load tools read
            answered: 1 + warmup.requests + saturation.requests + fixed.completed,
            inFlight: 2 * config.connections + (fixed.sent - fixed.completed),
            maxWaitMs: config.traceWaitMs,
          })
        : undefined;
    return { startupMs: server.startupMs, saturation: { ...saturation, ...usage }, fixedRate: fixed, rssMb, traces };
  } finally {
    await server.stop();
  }
}
