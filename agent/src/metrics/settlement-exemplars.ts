import type { Attributes, Span } from '@opentelemetry/api';
import { LABEL_STATUS, METRIC_SETTLEMENT_DURATION, SETTLEMENT_STATUSES } from '@twinkle/semconv';
import { ExemplarSlots, type Exemplar } from './exemplar-slots.js';
import { bucketOf } from './histogram-point.js';

const BOUNDARIES: readonly number[] = [...METRIC_SETTLEMENT_DURATION.buckets];

/**
 * Exemplars of `twinkle_settlement_duration_seconds`: one slot per bucket per `status`
 * (the histogram's one label, of a fixed set), taken by the settlement span. The
 * histogram itself stays the SDK's instrument; `@twinkle/agent/api` offers each recorded
 * settlement here, before its span ends.
 */
export interface SettlementExemplars {
  /** Offers a recorded settlement; `status` is one of SETTLEMENT_STATUSES. Returns whether it took a slot. */
  offer(status: string, seconds: number, span: Span | undefined): boolean;
  /** The exemplars of the series with these attributes (its `status`). */
  exemplarsOf(attributes: Attributes): ReadonlyArray<Exemplar | undefined> | undefined;
}

export function createSettlementExemplars(intervalMs: number): SettlementExemplars {
  const byStatus = new Map<string, ExemplarSlots>(SETTLEMENT_STATUSES.map((s) => [s, new ExemplarSlots(BOUNDARIES.length + 1, intervalMs)]));
  return {
    offer(status, seconds, span) {
      const slots = byStatus.get(status);
      if (slots === undefined || !(seconds >= 0)) return false;
      return slots.offer(bucketOf(BOUNDARIES, seconds), seconds, Date.now(), span);
    },
    exemplarsOf(attributes) {
      const status = attributes[LABEL_STATUS];
      return typeof status === 'string' ? byStatus.get(status)?.exemplars : undefined;
    },
  };
}
