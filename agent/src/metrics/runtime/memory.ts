import { readFileSync } from 'node:fs';
import type { Meter } from '@opentelemetry/api';
import { METRIC_PROCESS_HEAP, METRIC_PROCESS_RESIDENT_MEMORY } from '@twinkle/semconv';

/** What prom-client reads on Linux: VmRSS and VmData from /proc/self/status, in bytes. */
interface ProcStatusMemory {
  readonly rss: number;
  readonly data: number;
}

/** Parses the `VmRSS` and `VmData` lines (kB) of /proc/self/status. Only exported for tests. */
export function _parseProcStatus(text: string): ProcStatusMemory | undefined {
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  const data = /^VmData:\s+(\d+)\s+kB/m.exec(text);
  if (!rss || !data) return undefined;
  return { rss: Number(rss[1]) * 1024, data: Number(data[1]) * 1024 };
}

/** Synchronous like prom-client's: a procfs read does not block, and it keeps the scrape in one turn. */
function readMemory(): ProcStatusMemory {
  if (process.platform === 'linux') {
    try {
      const parsed = _parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
      if (parsed) return parsed;
    } catch {
      // fall through to the portable reading, as prom-client does off Linux
    }
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, data: usage.heapTotal };
}

/**
 * `process_resident_memory_bytes` and `process_heap_bytes` as prom-client's defaults
 * define them: on Linux VmRSS and VmData from /proc/self/status (VmData is the
 * process's data segment, i.e. its heap, not V8's heap); elsewhere rss and heapTotal.
 */
export function registerMemoryMetrics(meter: Meter): void {
  const resident = meter.createObservableGauge(METRIC_PROCESS_RESIDENT_MEMORY.name, {
    description: METRIC_PROCESS_RESIDENT_MEMORY.description,
  });
  const heap = meter.createObservableGauge(METRIC_PROCESS_HEAP.name, { description: METRIC_PROCESS_HEAP.description });
  meter.addBatchObservableCallback(
    (result) => {
      const memory = readMemory();
      result.observe(resident, memory.rss);
      result.observe(heap, memory.data);
    },
    [resident, heap],
  );
}
