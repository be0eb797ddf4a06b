import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { scrubUrl } from '../scrub.js';
import type { ServerRequestState } from './request-state.js';

/** The message of every access-log line (as the monitoring guide shows it). */
export const ACCESS_LOG_MESSAGE = 'Request completed';

/**
 * Writes one access-log line per finished request (the caller checks the level once): `reqId`, `method`, `path` (no query,
 * API keys in the path scrubbed), `status`, `duration` in seconds, and the trace and span
 * ids of the server span when it was sampled.
 */
export function writeAccessLog(log: Logger, req: IncomingMessage, state: ServerRequestState, status: number, seconds: number): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const line: Record<string, unknown> = {
    reqId: state.requestId,
    method: req.method,
    path: scrubUrl(q === -1 ? url : url.slice(0, q)),
    status,
    duration: Math.round(seconds * 1e6) / 1e6,
  };
  const spanContext = state.span?.spanContext();
  if (spanContext !== undefined && spanContext.traceFlags & 1) {
    line.trace_id = spanContext.traceId;
    line.span_id = spanContext.spanId;
  }
  log.info(line, ACCESS_LOG_MESSAGE);
}
