import { ValueType, type Attributes } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  ALL_METRICS,
  INSTRUMENTATION_SCOPE,
  LABEL_PID,
  LABEL_WORKER_STATE,
  METRIC_CLUSTER_WORKER_UP,
  METRIC_CLUSTER_WORKERS,
  WORKER_STATES,
  type WorkerState,
} from '@twinkle/semconv';
import type { Exemplar } from '../metrics/exemplar-slots.js';
import type { ExemplarLookup } from '../metrics/openmetrics.js';
import { VERSION } from '../version.js';
import { FamilyTotals, isCumulative, type Combine } from './family-totals.js';
import type { SnapshotFamily, WorkerSnapshot } from './worker-snapshot.js';

/** How each gauge of the metric table combines across workers (semconv's `cluster`); a gauge not in it is kept per worker. */
const GAUGE_RULES: ReadonlyMap<string, Combine> = new Map(
  ALL_METRICS.flatMap((m) => ('cluster' in m ? [[m.name, m.cluster] as [string, Combine]] : [])),
);

/** What a cluster scrape is made of. */
export interface ScrapeParts {
  /** Workers that answered now: every family counts. */
  readonly answered: readonly WorkerSnapshot[];
  /** Live workers that did not answer in time, by their last snapshot: counters and histograms only. */
  readonly missing: readonly WorkerSnapshot[];
  /** Pids of live workers left out with no snapshot at all. */
  readonly missingPids: readonly number[];
  /** Snapshots of workers that exited (their own or held by an adopter that exited too): counters and histograms only. */
  readonly exited: readonly WorkerSnapshot[];
  /** How many exited workers those hold. */
  readonly exitedCount: number;
}

/** One scrape's data, ready for either serializer. */
export interface CombinedScrape {
  readonly resourceMetrics: ResourceMetrics;
  readonly exemplars: ExemplarLookup;
}

/**
 * Adds up the workers of a group into one scrape: counters and histograms of every
 * snapshot (answered, missing, exited), so no sum drops when a worker stops answering or
 * exits; gauges and up-down sums of the answering workers only (the value of a process
 * that is gone or stuck is not a value of now): memory, heap, handles and requests
 * summed, event-loop lag the worst worker's, any other gauge kept per worker under a
 * `pid` label. Then `twinkle_cluster_workers{state}` and `twinkle_cluster_worker_up{pid}`.
 */
export function combineSnapshots(parts: ScrapeParts, resource: Resource): CombinedScrape {
  const totals = new FamilyTotals();
  for (const snapshot of parts.answered) {
    for (const family of snapshot.families) {
      if (isCumulative(family.kind) || family.kind === 'updown') totals.add(family);
      else {
        const rule = GAUGE_RULES.get(family.name);
        totals.add(family, rule ?? 'sum', rule === undefined ? { [LABEL_PID]: String(snapshot.pid) } : undefined);
      }
    }
  }
  for (const snapshot of [...parts.missing, ...parts.exited]) {
    for (const family of snapshot.families) if (isCumulative(family.kind)) totals.add(family);
  }

  const now = millisToHrTime(Date.now());
  const exemplarsByAttributes = new Map<Attributes, ReadonlyArray<Exemplar | undefined>>();
  const metrics: MetricData[] = totals.toFamilies().map((family) => toMetricData(family, now, exemplarsByAttributes));
  const counts: Record<WorkerState, number> = {
    answered: parts.answered.length,
    missing: parts.missing.length + parts.missingPids.length,
    exited: parts.exitedCount,
  };
  metrics.push(
    gauge(METRIC_CLUSTER_WORKERS, now, WORKER_STATES.map((state) => ({ [LABEL_WORKER_STATE]: state })), (a) => counts[a[LABEL_WORKER_STATE] as WorkerState]),
    gauge(
      METRIC_CLUSTER_WORKER_UP,
      now,
      [
        ...parts.answered.map((s) => ({ [LABEL_PID]: String(s.pid), up: 1 })),
        ...parts.missing.map((s) => ({ [LABEL_PID]: String(s.pid), up: 0 })),
        ...parts.missingPids.map((pid) => ({ [LABEL_PID]: String(pid), up: 0 })),
      ],
      (a) => Number(a.up),
      (a) => ({ [LABEL_PID]: a[LABEL_PID] }),
    ),
  );
  return {
    resourceMetrics: { resource, scopeMetrics: [{ scope: { name: INSTRUMENTATION_SCOPE, version: VERSION }, metrics }] },
    exemplars: (_name, attributes) => exemplarsByAttributes.get(attributes),
  };
}

function toMetricData(
  family: SnapshotFamily,
  now: [number, number],
  exemplarsByAttributes: Map<Attributes, ReadonlyArray<Exemplar | undefined>>,
): MetricData {
  const descriptor = { name: family.name, description: family.description, unit: '', valueType: ValueType.DOUBLE };
  if (family.kind === 'histogram') {
    const dataPoints: Array<DataPoint<Histogram>> = family.points.map((p) => {
      if (p.exemplars !== undefined) exemplarsByAttributes.set(p.attributes, p.exemplars.map((e) => e ?? undefined));
      return {
        attributes: p.attributes,
        startTime: now,
        endTime: now,
        value: { buckets: { boundaries: family.boundaries ?? [], counts: p.counts ?? [] }, count: p.count ?? 0, sum: p.sum ?? 0 },
      };
    });
    return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints };
  }
  const dataPoints: Array<DataPoint<number>> = family.points.map((p) => ({ attributes: p.attributes, startTime: now, endTime: now, value: p.value ?? 0 }));
  if (family.kind === 'gauge') return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: family.kind === 'counter',
    dataPoints,
  };
}

function gauge(
  metric: { readonly name: string; readonly description: string },
  now: [number, number],
  rows: Attributes[],
  valueOf: (row: Attributes) => number,
  labelsOf: (row: Attributes) => Attributes = (row) => row,
): MetricData {
  return {
    descriptor: { name: metric.name, description: metric.description, unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: rows.map((row) => ({ attributes: labelsOf(row), startTime: now, endTime: now, value: valueOf(row) })),
  };
}
