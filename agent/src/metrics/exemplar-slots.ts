import { TraceFlags, type Span } from '@opentelemetry/api';
import { ATTR_TWINKLE_EXEMPLAR } from '@twinkle/semconv';

/** One exemplar: the ids of a sampled span, the value it recorded, and when (ms since the epoch). */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
  readonly value: number;
  readonly timeMs: number;
}

/**
 * The exemplars of one histogram series: one slot per bucket, each taken at most once per
 * `intervalMs` and only by a sampled span, which is then marked with `twinkle.exemplar`
 * (before it ends, so the collector's sampling policy keeps its trace). Memory is fixed
 * at creation: one exemplar and one timestamp per bucket.
 *
 * The common case of a request costs one comparison: a slot taken less than `intervalMs`
 * ago (`now < nextAt[bucket]`) is left alone without looking at the span.
 */
export class ExemplarSlots {
  readonly exemplars: Array<Exemplar | undefined>;
  private readonly nextAt: Float64Array;

  constructor(
    buckets: number,
    private readonly intervalMs: number,
  ) {
    this.exemplars = new Array<Exemplar | undefined>(buckets).fill(undefined);
    this.nextAt = new Float64Array(buckets);
  }

  /**
   * Offers the span that recorded `value` into `bucket` at `now` (ms). Returns whether it
   * took the slot (and was marked).
   */
  offer(bucket: number, value: number, now: number, span: Span | undefined): boolean {
    if (now < this.nextAt[bucket]) return false;
    if (span === undefined) return false;
    const ctx = span.spanContext();
    // Only a sampled span's trace can be found later; an ended span can no longer be marked.
    if ((ctx.traceFlags & TraceFlags.SAMPLED) === 0 || !span.isRecording()) return false;
    span.setAttribute(ATTR_TWINKLE_EXEMPLAR, true);
    this.exemplars[bucket] = { traceId: ctx.traceId, spanId: ctx.spanId, value, timeMs: now };
    this.nextAt[bucket] = now + this.intervalMs;
    return true;
  }
}
