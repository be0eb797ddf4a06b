import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { METRIC_SETTLEMENT_DURATION, METRIC_SETTLEMENTS } from '@twinkle/semconv';

/** The settlement counter and histogram of the README's metric table. */
export interface SettlementInstruments {
  readonly settlements: Counter;
  readonly duration: Histogram;
}

/** Creates `twinkle_settlements_total` and `twinkle_settlement_duration_seconds` on `meter`. */
export function createSettlementInstruments(meter: Meter): SettlementInstruments {
  return {
    settlements: meter.createCounter(METRIC_SETTLEMENTS.name, { description: METRIC_SETTLEMENTS.description }),
    duration: meter.createHistogram(METRIC_SETTLEMENT_DURATION.name, {
      description: METRIC_SETTLEMENT_DURATION.description,
      advice: { explicitBucketBoundaries: [...METRIC_SETTLEMENT_DURATION.buckets] },
    }),
  };
}
