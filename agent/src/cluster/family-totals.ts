import type { Attributes } from '@opentelemetry/api';
import type { Exemplar } from '../metrics/exemplar-slots.js';
import type { FamilyKind, SnapshotFamily, SnapshotPoint } from './worker-snapshot.js';

/** A series being added up: its value, or its histogram arrays, and the latest exemplar per bucket. */
interface Total {
  attributes: Attributes;
  value: number;
  counts: number[] | undefined;
  count: number;
  sum: number;
  exemplars: Array<Exemplar | null> | undefined;
}

interface FamilyTotal {
  readonly name: string;
  readonly description: string;
  readonly kind: FamilyKind;
  readonly boundaries: number[] | undefined;
  readonly series: Map<string, Total>;
}

/** How a point's value joins the total of its series. */
export type Combine = 'sum' | 'max';

/** A label set as a key: the same labels in any order give the same key. */
export function seriesKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Families added up series by series, in the order they were first seen: counters,
 * up-down sums and histograms sum (bucket by bucket, with their counts and sums), a
 * gauge sums or keeps the largest value as `combine` says. Of the exemplars of one
 * bucket the latest wins, whichever worker it came from. A histogram whose buckets
 * differ from the first one seen of its family (a worker built with other buckets)
 * is left out rather than added wrongly.
 */
export class FamilyTotals {
  private readonly families = new Map<string, FamilyTotal>();

  /** Adds one family's points; `labels` (a worker's pid) are added to each point's attributes when given. */
  add(family: SnapshotFamily, combine: Combine = 'sum', labels?: Attributes): void {
    let total = this.families.get(family.name);
    if (total === undefined) {
      total = { name: family.name, description: family.description, kind: family.kind, boundaries: family.boundaries, series: new Map() };
      this.families.set(family.name, total);
    } else if (total.kind !== family.kind || !sameBoundaries(total.boundaries, family.boundaries)) return;
    for (const point of family.points) this.addPoint(total, point, combine, labels);
  }

  private addPoint(family: FamilyTotal, point: SnapshotPoint, combine: Combine, labels: Attributes | undefined): void {
    const attributes = labels === undefined ? point.attributes : { ...point.attributes, ...labels };
    const key = seriesKey(attributes);
    let total = family.series.get(key);
    if (total === undefined) {
      total = { attributes, value: 0, counts: undefined, count: 0, sum: 0, exemplars: undefined };
      if (combine === 'max') total.value = -Infinity;
      family.series.set(key, total);
    }
    if (family.kind === 'histogram') {
      const counts = point.counts ?? [];
      total.counts ??= new Array<number>(counts.length).fill(0);
      for (let i = 0; i < counts.length && i < total.counts.length; i++) total.counts[i] += counts[i];
      total.count += point.count ?? 0;
      total.sum += point.sum ?? 0;
      if (point.exemplars !== undefined) {
        total.exemplars ??= new Array<Exemplar | null>(point.exemplars.length).fill(null);
        for (let i = 0; i < point.exemplars.length && i < total.exemplars.length; i++) {
          const offered = point.exemplars[i];
          const held = total.exemplars[i];
          if (offered && (!held || offered.timeMs > held.timeMs)) total.exemplars[i] = offered;
        }
      }
    } else if (combine === 'max') total.value = Math.max(total.value, point.value ?? -Infinity);
    else total.value += point.value ?? 0;
  }

  /** The totals as snapshot families. */
  toFamilies(): SnapshotFamily[] {
    const out: SnapshotFamily[] = [];
    for (const family of this.families.values()) {
      const points: SnapshotPoint[] = [];
      for (const t of family.series.values()) {
        if (family.kind === 'histogram') points.push({ attributes: t.attributes, counts: t.counts ?? [], count: t.count, sum: t.sum, exemplars: t.exemplars });
        else points.push({ attributes: t.attributes, value: t.value });
      }
      out.push({ name: family.name, description: family.description, kind: family.kind, boundaries: family.boundaries, points });
    }
    return out;
  }
}

function sameBoundaries(a: number[] | undefined, b: number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether a family's values outlive the process that counted them (a gauge's or up-down sum's do not). */
export function isCumulative(kind: FamilyKind): boolean {
  return kind === 'counter' || kind === 'histogram';
}
