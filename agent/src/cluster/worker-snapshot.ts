import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Exemplar } from '../metrics/exemplar-slots.js';
import type { ExemplarLookup } from '../metrics/openmetrics.js';

/** How a family adds up across workers. */
export type FamilyKind = 'counter' | 'histogram' | 'gauge' | 'updown';

/** One series of a family: a number, or a histogram's bucket counts (not cumulative), count and sum, with its exemplars. */
export interface SnapshotPoint {
  readonly attributes: Attributes;
  readonly value?: number;
  readonly counts?: number[];
  readonly count?: number;
  readonly sum?: number;
  /** One per bucket, `+Inf` last; null where a bucket has none. */
  readonly exemplars?: Array<Exemplar | null>;
}

/** One metric family of one worker, cumulative. */
export interface SnapshotFamily {
  readonly name: string;
  readonly description: string;
  readonly kind: FamilyKind;
  /** A histogram's upper bounds. */
  readonly boundaries?: number[];
  readonly points: SnapshotPoint[];
}

/**
 * What one worker of a group had counted when it was last asked: every family it
 * exposes, cumulative since it started, plus what it adopted from workers that exited
 * (`members`). Sent to a peer that answers a scrape, and kept in the group's directory
 * so the counts outlive the worker.
 */
export interface WorkerSnapshot {
  /** The worker's id in its group: `<pid>-<random>` (a pid alone can be reused). */
  readonly id: string;
  readonly pid: number;
  /** Grows with every snapshot the worker takes: of two snapshots of one worker, the higher is the newer. */
  readonly seq: number;
  /** The workers whose counts this snapshot holds: itself first, then those it adopted. */
  readonly members: string[];
  /** How many exited workers it adopted, directly or through another adopter, ever. */
  readonly adopted: number;
  readonly families: SnapshotFamily[];
}

/** The identity part of a snapshot. */
export type SnapshotIdentity = Pick<WorkerSnapshot, 'id' | 'pid' | 'seq' | 'members' | 'adopted'>;

/**
 * Turns what the worker's reader collected (cumulative, as the Prometheus reader asks)
 * into a snapshot; `exemplars` finds the exemplars of a histogram series.
 */
export function snapshotOf(resourceMetrics: ResourceMetrics, exemplars: ExemplarLookup, identity: SnapshotIdentity): WorkerSnapshot {
  const families: SnapshotFamily[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const { name, description } = metric.descriptor;
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        let boundaries: number[] | undefined;
        const points: SnapshotPoint[] = [];
        for (const point of metric.dataPoints as Array<DataPoint<Histogram>>) {
          boundaries ??= [...point.value.buckets.boundaries];
          const slots = exemplars(name, point.attributes);
          points.push({
            attributes: point.attributes,
            counts: [...point.value.buckets.counts],
            count: point.value.count,
            sum: point.value.sum ?? 0,
            exemplars: slots === undefined ? undefined : slots.map((e) => e ?? null),
          });
        }
        families.push({ name, description, kind: 'histogram', boundaries: boundaries ?? [], points });
      } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
        const kind: FamilyKind =
          metric.dataPointType === DataPointType.GAUGE ? 'gauge' : metric.isMonotonic ? 'counter' : 'updown';
        const points = (metric.dataPoints as Array<DataPoint<number>>).map((p) => ({ attributes: p.attributes, value: p.value }));
        families.push({ name, description, kind, points });
      }
      // Exponential histograms are not written by the Prometheus serializer either.
    }
  }
  return { ...identity, families };
}

/** Reads a snapshot from JSON; undefined for anything that is not one (a torn or foreign file). */
export function parseSnapshot(text: string): WorkerSnapshot | undefined {
  try {
    const value = JSON.parse(text) as Partial<WorkerSnapshot>;
    if (
      typeof value.id !== 'string' ||
      typeof value.pid !== 'number' ||
      typeof value.seq !== 'number' ||
      typeof value.adopted !== 'number' ||
      !Array.isArray(value.members) ||
      !Array.isArray(value.families)
    )
      return undefined;
    return value as WorkerSnapshot;
  } catch {
    return undefined;
  }
}
