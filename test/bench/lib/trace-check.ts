import type { ReceiverCounts } from './receiver-counts.ts';
import type { ReceiverKind } from './setups.ts';

/** Did every request of one server's run arrive at its receiver as a trace? */
export interface TraceCheck {
  readonly receiver: ReceiverKind;
  /** Responses the load tools read from the server (and the start-up probe's). */
  readonly answered: number;
  /** Requests that may have reached the server unanswered: those in flight when a load tool stopped. */
  readonly inFlight: number;
  /** Traces of requests that arrived (OTLP server spans; Datadog traces rooted in a web span). */
  readonly traces: number;
  /** Traces of anything else (dd-trace traces its own DNS lookups, for instance). */
  readonly otherTraces: number;
  readonly spans: number;
  readonly exports: number;
  /** Payloads the receiver could not read, and requests to paths it does not serve. */
  readonly errors: number;
  readonly unexpected: Record<string, number>;
  /** How long the check waited for the last exports after the load. */
  readonly waitedMs: number;
  /** answered <= traces <= answered + inFlight, and every payload readable. */
  readonly ok: boolean;
}

/**
 * Waits until the receiver has a trace for each answered request (exporters batch: dd-trace
 * flushes every 2 s, the NodeSDK's batch processor every 5 s) and nothing more arrives, or
 * `maxWaitMs` has passed, and compares.
 */
export async function checkTraces(options: {
  receiver: ReceiverKind;
  before: ReceiverCounts;
  read: () => Promise<ReceiverCounts>;
  answered: number;
  inFlight: number;
  maxWaitMs: number;
}): Promise<TraceCheck> {
  const started = performance.now();
  const waited = (): boolean => performance.now() - started >= options.maxWaitMs;
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 200));
  let after = await options.read();
  while (after.requests - options.before.requests < options.answered && !waited()) {
    await pause();
    after = await options.read();
  }
  // Then until nothing more arrives, so a late export is not counted in the next run's check.
  for (let last = after.exports; !waited(); last = after.exports) {
    await pause();
    after = await options.read();
    if (after.exports === last) break;
  }
  const traces = after.requests - options.before.requests;
  const unexpected: Record<string, number> = {};
  for (const [key, n] of Object.entries(after.unexpected)) {
    const d = n - (options.before.unexpected[key] ?? 0);
    if (d > 0) unexpected[key] = d;
  }
  const errors = after.errors - options.before.errors;
  return {
    receiver: options.receiver,
    answered: options.answered,
    inFlight: options.inFlight,
    traces,
    otherTraces: after.traces - options.before.traces - traces,
    spans: after.spans - options.before.spans,
    exports: after.exports - options.before.exports,
    errors,
    unexpected,
    waitedMs: performance.now() - started,
    ok: errors === 0 && traces >= options.answered && traces <= options.answered + options.inFlight,
  };
}

/** "traces 1234 for 1230 answered (+4, up to +100 in flight), 3702 spans in 5 exports". */
export function describeTraceCheck(c: TraceCheck): string {
  const extra = c.traces - c.answered;
  const verdict = c.ok ? '' : extra < 0 ? `  MISSING ${-extra}` : c.errors > 0 ? `  UNREADABLE ${c.errors}` : `  ${extra - c.inFlight} MORE THAN SENT`;
  const unexpected = Object.keys(c.unexpected).length > 0 ? `, other requests ${JSON.stringify(c.unexpected)}` : '';
  const other = c.otherTraces > 0 ? ` (and ${c.otherTraces} other traces)` : '';
  return `traces ${c.traces} for ${c.answered} answered (${extra >= 0 ? '+' : ''}${extra}, up to +${c.inFlight} in flight)${other}, ${c.spans} spans in ${c.exports} exports${unexpected}${verdict}`;
}
