/** What one fixed-rate load run measured (the JSON line fixed-rate-client.ts prints). */
export interface FixedRateResult {
  /** Requests per second asked for. */
  readonly rate: number;
  readonly scheduled: number;
  readonly sent: number;
  /** Responses read (any status). */
  readonly completed: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Responses per second over the schedule. */
  readonly achievedRate: number;
  /** Latency percentiles in ms, from when each request was due. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Some requests were never sent or never answered: the percentiles are lower bounds. */
  readonly lowerBound: boolean;
}
