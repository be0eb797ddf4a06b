import { readFileSync } from 'node:fs';

/** One core's time counters from /proc/stat, in clock ticks. */
export interface CoreTimes {
  readonly busy: number;
  readonly idle: number;
  readonly steal: number;
}

/** The counters of cpu`core` now. */
export function readCoreTimes(core: number): CoreTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`/proc/stat has no cpu${core}`);
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
}

/** Share of the time between two readings that the core was busy, and stolen by the hypervisor, in percent. */
export function coreUsage(before: CoreTimes, after: CoreTimes): { busyPercent: number; stealPercent: number } {
  const busy = after.busy - before.busy;
  const idle = after.idle - before.idle;
  const steal = after.steal - before.steal;
  const total = busy + idle + steal;
  return total > 0 ? { busyPercent: (100 * busy) / total, stealPercent: (100 * steal) / total } : { busyPercent: Number.NaN, stealPercent: Number.NaN };
}
