import { context, ROOT_CONTEXT, SeverityNumber, trace, TraceFlags, type Attributes, type LogRecord } from '@opentelemetry/api';

/** pino's default level labels by number. */
const LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** The severity instrumentation-pino gives pino's default levels (its log-sending-utils.ts). */
const SEVERITY: Record<number, SeverityNumber> = {
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
};

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/**
 * The OpenTelemetry log record of one pino JSON line, mapped the way instrumentation-pino
 * maps the lines of an app's own `pino()` loggers: `msg` is the body, `err` the exception,
 * `time` the timestamp, `level` the severity; `hostname` and `pid` are left to the
 * resource; every other field is an attribute. The record is made from the line itself,
 * after the scrubber ran, so it holds exactly what the line holds. `trace_id` and
 * `span_id` become the record's trace context (the access line is written after its
 * request's context has been left). Undefined for a line that is not a JSON object.
 */
export function pinoLineToLogRecord(line: string): LogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { time, msg, err, level, hostname: _hostname, pid: _pid, trace_id, span_id, trace_flags, ...attributes } = parsed as Record<string, unknown>;
  const timestamp = typeof time === 'number' ? time : Date.now();
  const record: LogRecord = {
    timestamp,
    observedTimestamp: timestamp,
    severityNumber: typeof level === 'number' ? (SEVERITY[level] ?? SeverityNumber.UNSPECIFIED) : SeverityNumber.UNSPECIFIED,
    body: msg as LogRecord['body'],
    attributes: attributes as Attributes,
  };
  if (typeof level === 'number' && LABELS[level] !== undefined) record.severityText = LABELS[level];
  if (err !== undefined) record.exception = normalizeException(err);
  if (typeof trace_id === 'string' && HEX32.test(trace_id) && typeof span_id === 'string' && HEX16.test(span_id)) {
    // The agent's lines carry no trace_flags: the active span's, when it is the line's, else sampled
    // (the access line names its span only when it was sampled).
    const active = trace.getSpanContext(context.active());
    const flags =
      typeof trace_flags === 'string' ? Number.parseInt(trace_flags, 16) : active?.spanId === span_id ? active.traceFlags : TraceFlags.SAMPLED;
    record.context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: trace_id,
      spanId: span_id,
      traceFlags: Number.isNaN(flags) ? TraceFlags.SAMPLED : flags,
    });
  }
  return record;
}

/** pino's serialized error names its class `type`; the SDK reads `name` (as instrumentation-pino's normalizeException does). */
function normalizeException(err: unknown): unknown {
  if (err === null || typeof err !== 'object' || Array.isArray(err)) return err;
  const e = err as Record<string, unknown>;
  return typeof e.type === 'string' && typeof e.name !== 'string' ? { ...e, name: e.type } : err;
}
