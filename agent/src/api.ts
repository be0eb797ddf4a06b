/**
 * `@twinkle/agent/api`: the small typed API a service calls. No side effects on
 * import. It uses only `@opentelemetry/api`, so without the preloaded agent every call
 * is a no-op for export; it never throws because of telemetry.
 */
import { context, diag, metrics, SpanStatusCode, trace, type MeterProvider, type Span } from '@opentelemetry/api';
import {
  ATTR_TWINKLE_SETTLEMENT_STATUS,
  ATTR_TWINKLE_SETTLEMENT_TYPE,
  INSTRUMENTATION_SCOPE,
  LABEL_STATUS,
  LABEL_TYPE,
  SETTLEMENT_STATUSES,
  SETTLEMENT_TYPES,
  SPAN_NAME_SETTLEMENT,
  type SettlementStatus,
  type SettlementType,
} from '@twinkle/semconv';
import type { Logger } from 'pino';
import { openSettlements, publishedLogger, publishedSentry, publishedSettlementExemplars } from './agent-globals.js';
import { createSettlementInstruments, type SettlementInstruments } from './metrics/settlement.js';
import { activeRequestState } from './server/request-state.js';
import { VERSION } from './version.js';

export type { SettlementStatus, SettlementType } from '@twinkle/semconv';

/** A settlement in progress, handed to the function `withSettlement` wraps. */
export interface Settlement {
  readonly type: SettlementType;
  /** Ends the settlement as `pending` (say, no receipt within the wait) instead of `success`. */
  markPending(): void;
}

/** A settlement timed by hand: `startSettlement(type)` ... `end(status)`. */
export interface SettlementTimer {
  readonly type: SettlementType;
  /** Records the outcome once; later calls do nothing. */
  end(status: SettlementStatus, error?: unknown): void;
}

let cached: { provider: MeterProvider; instruments: SettlementInstruments } | undefined;

/** The instruments of the current global meter provider (a no-op one until the agent starts). */
function instruments(): SettlementInstruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    cached = { provider, instruments: createSettlementInstruments(provider.getMeter(INSTRUMENTATION_SCOPE, VERSION)) };
  }
  return cached.instruments;
}

function isSettlementType(type: unknown): type is SettlementType {
  return (SETTLEMENT_TYPES as readonly unknown[]).includes(type);
}

function isSettlementStatus(status: unknown): status is SettlementStatus {
  return (SETTLEMENT_STATUSES as readonly unknown[]).includes(status);
}

/** Starts timing a settlement and opens its span. */
export function startSettlement(type: SettlementType): SettlementTimer {
  return beginSettlement(type).timer;
}

function beginSettlement(type: SettlementType): { timer: SettlementTimer; span: Span | undefined } {
  const start = performance.now();
  let span: Span | undefined;
  let ended = false;
  try {
    span = trace
      .getTracer(INSTRUMENTATION_SCOPE, VERSION)
      .startSpan(`${SPAN_NAME_SETTLEMENT} ${String(type)}`, { attributes: { [ATTR_TWINKLE_SETTLEMENT_TYPE]: String(type) } });
  } catch {
    span = undefined;
  }
  const open = openSettlements();
  const timer: SettlementTimer = {
    type,
    end(status, error) {
      if (ended) return;
      ended = true;
      open?.delete(timer);
      try {
        recordOutcome(type, status, (performance.now() - start) / 1000, span, error);
      } catch (err) {
        diag.error('@twinkle/agent/api: could not record a settlement', err);
      }
    },
  };
  // The agent ends what is still open when the process runs out of work (a promise that never settles).
  open?.add(timer);
  return { timer, span };
}

function recordOutcome(type: SettlementType, status: SettlementStatus, seconds: number, span: Span | undefined, error: unknown): void {
  if (status === 'failure') captureError(error ?? new Error(`settlement ${String(type)} failed`), { settlement: { type: String(type) } });
  // Unknown values from untyped callers would become unbounded labels: drop them.
  const recorded = isSettlementType(type) && isSettlementStatus(status);
  if (span !== undefined) {
    span.setAttribute(ATTR_TWINKLE_SETTLEMENT_STATUS, String(status));
    if (status === 'failure') {
      if (error instanceof Error) span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
    }
    // The span that takes an exemplar slot is marked before it ends.
    if (recorded) publishedSettlementExemplars()?.offer(status, seconds, span);
    span.end();
  }
  if (!recorded) {
    diag.warn(`@twinkle/agent/api: settlement type ${JSON.stringify(type)} / status ${JSON.stringify(status)} not recorded (accepted types: ${SETTLEMENT_TYPES.join(', ')}; statuses: ${SETTLEMENT_STATUSES.join(', ')})`);
    return;
  }
  const { settlements, duration } = instruments();
  settlements.add(1, { [LABEL_STATUS]: status, [LABEL_TYPE]: type });
  duration.record(seconds, { [LABEL_STATUS]: status });
}

/**
 * Runs one settlement and records it: `success` when `fn` resolves, `failure` when it
 * throws (the error is rethrown unchanged), `pending` when `fn` called `markPending()`.
 *
 * @example
 * ```ts
 * const receipt = await withSettlement('paywall', async (settlement) => {
 *   const hash = await sendTransaction(tx);
 *   const receipt = await waitForReceipt(hash, { timeoutMs: 30_000 });
 *   if (!receipt) settlement.markPending();
 *   return receipt;
 * });
 * ```
 */
export async function withSettlement<T>(type: SettlementType, fn: (settlement: Settlement) => Promise<T> | T): Promise<T> {
  const { timer, span } = beginSettlement(type);
  let pending = false;
  const settlement: Settlement = {
    type,
    markPending() {
      pending = true;
    },
  };
  let result: T;
  try {
    // Spans the settlement makes (RPC calls) are children of the settlement span.
    result = await (span === undefined ? fn(settlement) : context.with(trace.setSpan(context.active(), span), fn, undefined, settlement));
  } catch (err) {
    timer.end('failure', err);
    throw err;
  }
  timer.end(pending ? 'pending' : 'success');
  return result;
}

let fallbackLogger: Logger | undefined;

/**
 * The service's pino logger: JSON lines at `LOG_LEVEL` on the log destination, with
 * `reqId` (and `trace_id`/`span_id` when traced) on every line written inside a request,
 * and secrets scrubbed. The preloaded agent's logger when there is one (so its lines
 * and the access log keep their order), else one made the same way.
 *
 * @example
 * ```ts
 * const log = getLogger().child({ component: 'settlement' });
 * log.info({ type }, 'settlement sent');
 * ```
 */
export function getLogger(): Logger {
  const published = publishedLogger();
  if (published !== undefined) return published;
  if (fallbackLogger === undefined) {
    const { readConfig } = require('./config.js') as typeof import('./config.js');
    const { createLoggers } = require('./logging.js') as typeof import('./logging.js');
    fallbackLogger = createLoggers(readConfig().config).logger;
  }
  return fallbackLogger;
}

/** The request id of the request being handled (the `X-Request-Id` the agent returns), or undefined outside one. */
export function getRequestId(): string | undefined {
  return activeRequestState(context.active())?.requestId;
}

/**
 * Reports an error to Sentry with context, as docs/monitoring.md shows; the context is
 * scrubbed like everything the agent sends, and the event carries the trace id and the
 * request id of the request it happened in. Without `SENTRY_DSN` (or without the
 * agent) it does nothing. Never throws. Returns the event id when one was sent.
 *
 * @example
 * ```ts
 * try {
 *   await settle(payment);
 * } catch (error) {
 *   captureError(error, { tool: 'settlement', requestId: payment.id });
 * }
 * ```
 */
export function captureError(error: unknown, context?: Record<string, unknown>): string | undefined {
  try {
    return publishedSentry()?.captureError(error, context);
  } catch {
    return undefined;
  }
}
