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

/** Name of the span opened around a settlement: `settlement <type>`. */
export const SPAN_NAME_SETTLEMENT = 'settlement';

/** Instrumentation scope of everything the agent records. */
export const INSTRUMENTATION_SCOPE = '@twinkle/agent';

/** Header carrying the request id in and out. */
export const HEADER_REQUEST_ID = 'x-request-id';
