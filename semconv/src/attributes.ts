/**
 * Span attribute keys and span names of Twinkle's own (OpenTelemetry dotted style).
 * Standard HTTP, database and RPC keys come from `@opentelemetry/semantic-conventions`.
 */

/** Request id of the HTTP request (`X-Request-Id`), on the server span so Jaeger's tag search finds it. */
export const ATTR_TWINKLE_REQUEST_ID = 'twinkle.request_id';
/** Settlement type on a settlement span (one of SETTLEMENT_TYPES). */
export const ATTR_TWINKLE_SETTLEMENT_TYPE = 'twinkle.settlement.type';
/** Settlement outcome on a settlement span (one of SETTLEMENT_STATUSES). */
export const ATTR_TWINKLE_SETTLEMENT_STATUS = 'twinkle.settlement.status';

/**
 * On the span whose trace and span ids a metric exemplar carries (`true`): the server span of
 * a request that took an exemplar slot of `http_request_duration_seconds`, or the settlement
 * span that took one of `twinkle_settlement_duration_seconds`. The collector's tail-sampling
 * policy keeps every trace holding it, so every exemplar Prometheus stores resolves to a trace.
 * Spans that took no slot do not carry it.
 */
export const ATTR_TWINKLE_EXEMPLAR = 'twinkle.exemplar';

/** Name of the span opened around a settlement: `settlement <type>`. */
export const SPAN_NAME_SETTLEMENT = 'settlement';

/** Instrumentation scope of everything the agent records. */
export const INSTRUMENTATION_SCOPE = '@twinkle/agent';

/** Header carrying the request id in and out. */
export const HEADER_REQUEST_ID = 'x-request-id';
