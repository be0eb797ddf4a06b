import type { HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';

/**
 * One label set's explicit-bucket histogram, with the arithmetic of sdk-metrics'
 * `HistogramAccumulation` and `HistogramAggregator.merge` (aggregator/Histogram.ts):
 * values since the last collection are summed on their own and merged into the total
 * when collected, so sums round exactly as the SDK's do. NaN and negative values are
 * ignored, as the SDK's histogram ignores them.
 */
export class HistogramPoint {
  /** When the first value was recorded (the start of the SDK's cumulative accumulation). */
  startTime: HrTime | undefined;
  /** When the first value since the last collection was recorded (the start of its delta accumulation). */
  pendingStart: HrTime | undefined;
  pendingCount = 0;
  pendingSum = 0;
  pendingMin = Infinity;
  pendingMax = -Infinity;
  readonly pendingCounts: number[];
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  hasMinMax = false;
  readonly counts: number[];

  constructor(private readonly boundaries: readonly number[]) {
    this.pendingCounts = new Array<number>(boundaries.length + 1).fill(0);
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  /** Records `value` at `now` (ms); returns the index of its bucket, or -1 when it is ignored. */
  record(value: number, now: number): number {
    if (!(value >= 0)) return -1;
    if (this.pendingStart === undefined) {
      this.pendingStart = millisToHrTime(now);
      this.startTime ??= this.pendingStart;
    }
    this.pendingCount += 1;
    this.pendingSum += value;
    if (value < this.pendingMin) this.pendingMin = value;
    if (value > this.pendingMax) this.pendingMax = value;
    const bucket = bucketOf(this.boundaries, value);
    this.pendingCounts[bucket] += 1;
    return bucket;
  }

  /** Merges what was recorded since the last call into the totals and forgets it. */
  mergePending(): void {
    for (let i = 0; i < this.counts.length; i++) {
      this.counts[i] += this.pendingCounts[i];
      this.pendingCounts[i] = 0;
    }
    this.count += this.pendingCount;
    this.sum += this.pendingSum;
    if (this.pendingCount > 0) {
      this.min = this.hasMinMax ? Math.min(this.min, this.pendingMin) : this.pendingMin;
      this.max = this.hasMinMax ? Math.max(this.max, this.pendingMax) : this.pendingMax;
      this.hasMinMax = true;
    }
    this.pendingStart = undefined;
    this.pendingCount = 0;
    this.pendingSum = 0;
    this.pendingMin = Infinity;
    this.pendingMax = -Infinity;
  }
}

/** The index of the first boundary at or above `value`: sdk-metrics' `binarySearchUB`, Prometheus' `le`. */
export function bucketOf(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length - 1;
  let found = boundaries.length;
  while (hi >= lo) {
    const mid = lo + Math.trunc((hi - lo) / 2);
    if (boundaries[mid] < value) lo = mid + 1;
    else {
      found = mid;
      hi = mid - 1;
    }
  }
  return found;
}
