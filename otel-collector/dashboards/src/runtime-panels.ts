import {
  METRIC_EVENTLOOP_LAG,
  METRIC_PROCESS_CPU_SYSTEM,
  METRIC_PROCESS_CPU_USER,
  METRIC_PROCESS_HEAP,
  METRIC_PROCESS_RESIDENT_MEMORY,
} from '@twinkle/semconv';
import type { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { timeseriesPanel } from './timeseries.ts';

const JOB = '{job="$job"}';

/** Node.js runtime panels (CPU, memory, event-loop lag) for the `$job` service. */
export function runtimePanels(): PanelBuilder[] {
  return [
    timeseriesPanel({
      title: 'CPU Usage',
      // CPU seconds a second: 1 = one core busy.
      unit: 'percentunit',
      queries: [
        { expr: `rate(${METRIC_PROCESS_CPU_USER.name}${JOB}[5m])`, legend: 'user {{instance}}' },
        { expr: `rate(${METRIC_PROCESS_CPU_SYSTEM.name}${JOB}[5m])`, legend: 'system {{instance}}' },
      ],
    }),
    timeseriesPanel({
      title: 'Memory Usage',
      unit: 'bytes',
      queries: [
        { expr: `${METRIC_PROCESS_RESIDENT_MEMORY.name}${JOB}`, legend: 'resident {{instance}}' },
        { expr: `${METRIC_PROCESS_HEAP.name}${JOB}`, legend: 'heap {{instance}}' },
      ],
    }),
    timeseriesPanel({
      title: 'Event Loop Lag',
      unit: 's',
      queries: [{ expr: `${METRIC_EVENTLOOP_LAG.name}${JOB}`, legend: '{{instance}}' }],
    }),
  ];
}
