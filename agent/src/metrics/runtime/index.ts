import type { Meter } from '@opentelemetry/api';
import { registerActiveResources } from './active-resources.js';
import { registerCpuMetrics } from './cpu.js';
import { registerEventLoopLag } from './eventloop-lag.js';
import { registerMemoryMetrics } from './memory.js';

/** Registers the seven prom-client-compatible runtime metrics on `meter`; they are read only when collected. */
export function registerRuntimeMetrics(meter: Meter): void {
  registerCpuMetrics(meter);
  registerMemoryMetrics(meter);
  registerEventLoopLag(meter);
  registerActiveResources(meter);
}
