import type { IncomingMessage } from 'node:http';
import { requestPath } from './request-path.js';
import type { ServerRequestState } from './request-state.js';

/** The message of every access-log line (as docs/monitoring.md shows it). */
export const ACCESS_LOG_MESSAGE = 'Request completed';

/** pino's number for `info`. */
const INFO = 30;

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
 * query, API keys in the path scrubbed), `status`, `duration` in seconds, and the trace
 * and span ids of the server span when it was sampled. The line is built as one string
 * from parts known in advance (the way pino itself keeps a logger's bindings serialised),
 * not by a serializer pass over a fresh object; a test holds it equal to pino's line for
 * the same fields. `base` is the logger's bindings (pid, hostname, service).
 */
export function createAccessLog(sink: LineSink, base: Record<string, unknown>): AccessLog {
  const bindings = JSON.stringify(base).slice(1, -1);
  const head = `{"level":${INFO},"time":`;
  const afterTime = `${bindings.length > 0 ? `,${bindings}` : ''},"reqId":"`;
  const tail = `,"msg":${JSON.stringify(ACCESS_LOG_MESSAGE)}}\n`;
  return {
    write(req, state, status, seconds) {
      const path = requestPath(req, state);
      // The request id is validated or generated (safe characters only), the method is an
      // HTTP token: neither needs escaping.
      let line = `${head}${Date.now()}${afterTime}${state.requestId}","method":"${req.method}","path":${
        PLAIN.test(path) ? `"${path}"` : JSON.stringify(path)
      },"status":${status},"duration":${Math.round(seconds * 1e6) / 1e6}`;
      const spanContext = state.span?.spanContext();
      if (spanContext !== undefined && spanContext.traceFlags & 1) {
        line += `,"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}"`;
      }
      sink.write(line + tail);
    },
  };
}
