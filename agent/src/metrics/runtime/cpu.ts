import type { Meter } from '@opentelemetry/api';
import { METRIC_PROCESS_CPU_SYSTEM, METRIC_PROCESS_CPU_USER } from '@twinkle/semconv';

/**
 * `process_cpu_user_seconds_total` and `process_cpu_system_seconds_total`: CPU time
 * since the process started, from `process.cpuUsage()` (microseconds), as prom-client.
 * Both counters are observed from one `cpuUsage()` call per collection.
 */
export function registerCpuMetrics(meter: Meter): void {
  const user = meter.createObservableCounter(METRIC_PROCESS_CPU_USER.name, {
    description: METRIC_PROCESS_CPU_USER.description,
  });
  const system = meter.createObservableCounter(METRIC_PROCESS_CPU_SYSTEM.name, {
    description: METRIC_PROCESS_CPU_SYSTEM.description,
  });
  meter.addBatchObservableCallback(
    (result) => {
      const usage = process.cpuUsage();
      result.observe(user, usage.user / 1e6);
      result.observe(system, usage.system / 1e6);
    },
    [user, system],
  );
}
