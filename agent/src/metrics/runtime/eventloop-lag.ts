import type { Meter } from '@opentelemetry/api';
import { METRIC_EVENTLOOP_LAG } from '@twinkle/semconv';

/**
 * `nodejs_eventloop_lag_seconds`: as prom-client measures it, the time a
 * `setImmediate` scheduled at collection takes to run, in seconds.
 */
export function registerEventLoopLag(meter: Meter): void {
  const lag = meter.createObservableGauge(METRIC_EVENTLOOP_LAG.name, { description: METRIC_EVENTLOOP_LAG.description });
  lag.addCallback(async (result) => {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => setImmediate(resolve));
    result.observe(Number(process.hrtime.bigint() - start) / 1e9);
  });
}
