import type { IncomingMessage } from 'node:http';
import { requestPath } from './request-path.js';
import type { ServerRequestState } from './request-state.js';

/** The message of every access-log line (as docs/monitoring.md shows it). */
export const ACCESS_LOG_MESSAGE = 'Request completed';

/** pino's numbers for the access line's levels. */
const INFO = 30;
const WARN = 40;
const ERROR = 50;

/**
 * The level of a response's access line, as pino-http's documented `customLogLevel`
 * picks it and log pipelines expect: 5xx error, 4xx warn, anything else info.
 */
export function accessLogLevel(status: number): number {
  return status < 400 ? INFO : status < 500 ? WARN : ERROR;
}

/** The class name pino's error serializer writes as `err.type`; undefined for a thrown non-object. */
function errorType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    const ctor = (error as { constructor?: unknown }).constructor;
    const name = typeof ctor === 'function' ? ctor.name : (error as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    // a getter that throws (a Proxy, say) leaves the line without a type
    return undefined;
  }
}

/** Writes one access-log line per finished request. */
export interface AccessLog {
  write(req: IncomingMessage, state: ServerRequestState, status: number, seconds: number): void;
}

/** Where lines go: pino's destination stream (SonicBoom), shared with the service's logger. */
export interface LineSink {
  write(line: string): unknown;
}

/** Printable ASCII without `"` and `\`: a path that needs no JSON escaping. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The access log: one pino line per finished request, `reqId`, `method`, `path` (no
 * query, API keys in the path scrubbed), `status`, `duration` in seconds, the trace
 * and span ids of the server span when it was sampled, and on a 5xx `err.type`, the
 * class of the error the app's error handler turned into the response, when the agent
 * saw one. Its level follows the status (`accessLogLevel`); a line below `threshold`
 * (the logger's level) is not written. The line is built as one string from parts
 * known in advance (the way pino itself keeps a logger's bindings serialised), not by a
 * serializer pass over a fresh object; a test holds it equal to pino's line for the
 * same fields at every level. `base` is the logger's bindings (pid, hostname, service).
 */
export function createAccessLog(sink: LineSink, base: Record<string, unknown>, threshold: number = INFO): AccessLog {
  const bindings = JSON.stringify(base).slice(1, -1);
  const infoHead = `{"level":${INFO},"time":`;
  const warnHead = `{"level":${WARN},"time":`;
  const errorHead = `{"level":${ERROR},"time":`;
  const afterTime = `${bindings.length > 0 ? `,${bindings}` : ''},"reqId":"`;
  const tail = `,"msg":${JSON.stringify(ACCESS_LOG_MESSAGE)}}\n`;
  return {
    write(req, state, status, seconds) {
      const level = accessLogLevel(status);
      if (level < threshold) return;
      const path = requestPath(req, state);
      // The request id is validated or generated (safe characters only), the method is an
      // HTTP token: neither needs escaping.
      let line = `${level === INFO ? infoHead : level === WARN ? warnHead : errorHead}${Date.now()}${afterTime}${state.requestId}","method":"${req.method}","path":${
        PLAIN.test(path) ? `"${path}"` : JSON.stringify(path)
      },"status":${status},"duration":${Math.round(seconds * 1e6) / 1e6}`;
      const spanContext = state.span?.spanContext();
      if (spanContext !== undefined && spanContext.traceFlags & 1) {
        line += `,"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}"`;
      }
      if (level === ERROR && state.error !== undefined) {
        const type = errorType(state.error);
        if (type !== undefined) line += `,"err":{"type":${JSON.stringify(type)}}`;
      }
      sink.write(line + tail);
    },
  };
}
