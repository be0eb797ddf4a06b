import type { BenchConfig } from './bench-config.ts';
import { runLoad } from './load.ts';
import { startServer } from './server.ts';
import type { Setup } from './setups.ts';
import { checkTraces, type TraceCheck } from './trace-check.ts';

/** RSS of one setup under sustained load. */
export interface MemoryResult {
  /** RSS every `rssSampleSeconds` of the load, MB; the last one at its end. */
  readonly series: ReadonlyArray<{ readonly seconds: number; readonly rssMb: number }>;
  readonly finalRssMb: number;
  readonly requestsPerSecond: number;
  readonly traces?: TraceCheck;
}

/**
 * Loads `setup` (service shape) at saturation for `rssSeconds` without a restart and reads
 * its RSS along the way: memory that only grows with the load (queues, caches, the heap
 * V8 settles on) shows after minutes, not seconds.
 */
export async function runMemoryPhase(config: BenchConfig, setup: Setup, port: number): Promise<MemoryResult> {
  const before = setup.receiver ? await config.receivers.counts(setup.receiver) : undefined;
  const server = await startServer({
    script: config.app,
    nodeArgs: setup.nodeArgs,
    env: { ...config.baseEnv, ...setup.env, BENCH_SHAPE: 'service' },
    port,
    core: config.serverCore,
    path: config.path,
    cwd: config.cwd,
  });
  try {
    const series: Array<{ seconds: number; rssMb: number }> = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      series.push({ seconds: Math.round((performance.now() - started) / 1000), rssMb: server.rssMb() });
    }, config.rssSampleSeconds * 1000);
    const load = await runLoad(`http://127.0.0.1:${port}${config.path}`, {
      seconds: config.rssSeconds,
      connections: config.connections,
      core: config.loadCore,
    }).finally(() => clearInterval(sampler));
    const finalRssMb = server.rssMb();
    // a sample taken as the load ended is the final reading's duplicate
    if (series.length > 0 && series[series.length - 1].seconds >= config.rssSeconds - 1) series.pop();
    series.push({ seconds: Math.round((performance.now() - started) / 1000), rssMb: finalRssMb });
    const traces =
      setup.receiver && before
        ? await checkTraces({
            receiver: setup.receiver,
            before,
            read: () => config.receivers.counts(setup.receiver!),
            answered: 1 + load.requests,
            inFlight: config.connections,
            maxWaitMs: config.traceWaitMs,
          })
        : undefined;
    return { series, finalRssMb, requestsPerSecond: load.requestsPerSecond, traces };
  } finally {
    await server.stop();
  }
}
