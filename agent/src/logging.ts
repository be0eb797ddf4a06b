/**
 * The agent's pino loggers: the one services get from `@twinkle/agent/api`, and the
 * access log. Both write JSON lines to the log destination through the process's one
 * sink for that stream (output/line-sink.ts: buffered, so a line does not cost a write
 * system call; lines keep their order; a broken stream never hurts the host), at `LOG_LEVEL`. Inside a
 * request every line carries `reqId`, and `trace_id`/`span_id` when a span is active.
 * Secrets are scrubbed by the shared scrubber before a line is written.
 */
import { hostname } from 'node:os';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AgentConfig } from './config.js';
import { LEVELS } from './diag.js';
import { scrubString, scrubValue } from './scrub.js';
import { lineSink } from './output/line-sink.js';
import { createAccessLog, type AccessLog } from './server/access-log.js';
import { activeRequestState } from './server/request-state.js';

/** The fields a line gets from the request it is written in. */
export function requestLogFields(): Record<string, string> {
  const ctx = context.active();
  const fields: Record<string, string> = {};
  const state = activeRequestState(ctx);
  if (state !== undefined) fields.reqId = state.requestId;
  const spanContext = trace.getSpan(ctx)?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  return fields;
}

/** The loggers of one process. */
export interface AgentLoggers {
  /** What `@twinkle/agent/api` hands to services: scrubbed, request-aware. */
  readonly logger: Logger;
  /** The access log, when `LOG_LEVEL` lets at least its 5xx lines (`error`) through: fields are built by the agent from safe values, so no scrubbing pass. */
  readonly accessLog: AccessLog | undefined;
}

/**
 * Creates the loggers on one destination (stdout, or stderr with `LOG_DESTINATION=stderr`).
 * `onLine`, when given, also gets every line as written (OTLP logs): after the line.
 */
export function createLoggers(
  config: Pick<AgentConfig, 'logLevel' | 'logDestination' | 'serviceName'>,
  onLine?: (line: string) => void,
): AgentLoggers {
  const written = lineSink(config.logDestination) as DestinationStream;
  const destination = onLine === undefined ? written : tee(written, onLine);
  const base = { pid: process.pid, hostname: hostname(), service: config.serviceName };
  const logger = pino(
    {
      level: config.logLevel,
      base,
      mixin: requestLogFields,
      // Objects are scrubbed as a whole (pino's redact paths cannot say "at any depth"), after
      // pino's own error serializer has made each Error a plain object: `err.type` stays the
      // error's class name, and the cause chain is kept as pino writes it...
      formatters: { log: (object) => scrubValue(serializeErrors(object)) as Record<string, unknown> },
      // ...so pino's serializer must not run again on the plain copy (it would call its type "Object").
      serializers: { err: keepSerialized },
      // ...and so is the message and its interpolation arguments.
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = scrubString(args[i] as string);
          return method.apply(this, args);
        },
      },
    },
    destination,
  );
  const threshold = LEVELS[config.logLevel];
  const accessLog = threshold <= LEVELS.error ? createAccessLog(destination, base, threshold) : undefined;
  return { logger, accessLog };
}

/** A destination that writes each line and then hands it to `onLine`, which must not throw. */
function tee(destination: DestinationStream, onLine: (line: string) => void): DestinationStream {
  return {
    write(line: string) {
      const result = destination.write(line);
      onLine(line);
      return result;
    },
  } as DestinationStream;
}

/**
 * `object` with every top-level Error (under any key, `err` included) through pino's standard
 * error serializer (`type`, `message`, `stack`, own fields, `cause`); the same object when
 * it holds none, which is the common case and allocates nothing.
 */
export function serializeErrors(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if (value instanceof Error) {
      out ??= { ...object };
      out[key] = pino.stdSerializers.err(value);
    }
  }
  return out ?? object;
}

/** `err` as `formatters.log` left it: already serialized and scrubbed. */
function keepSerialized(value: unknown): unknown {
  return value;
}
