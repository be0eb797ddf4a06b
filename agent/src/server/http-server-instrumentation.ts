import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as https from 'node:https';
import { context, diag, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { HEADER_REQUEST_ID, ROUTE_UNMATCHED } from '@twinkle/semconv';
import type { HttpServerMetrics } from '../metrics/http.js';
import type { LeanTracer } from '../tracing/lean-tracer.js';
import type { AccessLog } from './access-log.js';
import { isAgentServer } from './agent-servers.js';
import { RequestContext } from './request-context.js';
import type { RequestContextManager } from './request-context-manager.js';
import { patchWriteHeadForRequestId, RESPONSE_REQUEST_ID } from './request-id-header.js';
import { rawRequestIdHeader, resolveRequestId } from './request-id.js';
import { beginDispatch, createRequestState, endDispatch, REQUEST_STATE, type ServerRequestState } from './request-state.js';
import { endServerSpan, extractParentContext, startServerSpan } from './server-span.js';

/** What the server instrumentation needs; every part is optional. */
export interface ServerInstrumentationOptions {
  /** Records `http_request_*` (the server span may take an exemplar slot, before it ends); absent when metrics are off. */
  readonly metrics?: Pick<HttpServerMetrics, 'record'>;
  /** Starts SERVER spans; absent when tracing is off. */
  readonly tracer?: LeanTracer;
  /**
   * Runs each request in its own context (span, request id) when `needsContext()` says
   * something can read it: spans, Sentry, or a logger that adds `reqId`. Absent: never.
   */
  readonly contextManager?: RequestContextManager;
  readonly needsContext?: () => boolean;
  /** Answers `GET /metrics` on the app's own server, before the app sees it. */
  readonly serveMetrics?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  readonly metricsPath?: string;
  /** Writes one line per finished request; absent means no access log. */
  readonly accessLog?: AccessLog;
  /** Called for every request that ended in a 5xx, in a context holding its span and state. */
  readonly onServerError?: (state: ServerRequestState, ctx: Context, method: string, statusCode: number) => void;
  /** Called once, when the first HTTP server of the process (the agent's own metrics listener included) starts listening. */
  readonly onFirstListening?: () => void;
}

type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
type RequestWithState = http.IncomingMessage & { [REQUEST_STATE]?: ServerRequestState };

/** Node publishes this when a response has been fully handed to the OS. */
const RESPONSE_FINISH = 'http.server.response.finish';

/**
 * Instruments Node's HTTP servers without instrumentation-http: a thin wrapper over
 * `Server.prototype.emit('request')` answers `/metrics`, starts the SERVER span and runs
 * the app inside its context; Node's `http.server.response.finish` diagnostics channel
 * ends the span and records the metrics. Returns the function that undoes it.
 */
export function installServerInstrumentation(options: ServerInstrumentationOptions): () => void {
  const { metrics, tracer, serveMetrics, accessLog, onServerError, contextManager } = options;
  let onFirstListening = options.onFirstListening;
  const needsContext = options.needsContext ?? (() => true);
  const metricsPath = options.metricsPath ?? '/metrics';
  const metricsQueryPrefix = `${metricsPath}?`;

  const patchEmit = (proto: http.Server, encrypted: boolean): (() => void) => {
    const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'emit');
    const original = proto.emit as Emit;
    const patched: Emit = function twinkleServerEmit(this: http.Server, event: string | symbol) {
      if (event !== 'request' || isAgentServer(this)) {
        if (event === 'listening' && onFirstListening !== undefined) {
          const first = onFirstListening;
          onFirstListening = undefined;
          try {
            first();
          } catch {
            // saying so must not fail the app's listen
          }
        }
        return original.apply(this, arguments as unknown as [string]);
      }
      const req = arguments[1] as RequestWithState;
      const res = arguments[2] as http.ServerResponse;
      if (serveMetrics !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
        const url = req.url;
        if (url === metricsPath || (url !== undefined && url.startsWith(metricsQueryPrefix))) {
          serveMetrics(req, res);
          return true;
        }
      }
      let state: ServerRequestState;
      let ctx: Context | undefined;
      try {
        const requestId = resolveRequestId(rawRequestIdHeader(req.rawHeaders, HEADER_REQUEST_ID));
        (res as http.ServerResponse & { [RESPONSE_REQUEST_ID]?: string })[RESPONSE_REQUEST_ID] = requestId;
        state = createRequestState(undefined, requestId);
        req[REQUEST_STATE] = state;
        let parent: Context | undefined;
        if (tracer !== undefined) {
          parent = extractParentContext(req);
          state.span = startServerSpan(tracer, req, parent, encrypted, state);
        }
        if (contextManager !== undefined && needsContext()) ctx = new RequestContext(parent ?? context.active(), state, state.span);
      } catch (err) {
        // A fault of the agent's never reaches the app: it handles the request uninstrumented.
        diag.error('twinkle: could not instrument a request', err);
        return original.apply(this, arguments as unknown as [string]);
      }
      const previous = beginDispatch(state);
      try {
        return ctx === undefined ? original.call(this, event, req, res) : contextManager!.emitIn(ctx, original, this, event, req, res);
      } finally {
        endDispatch(previous);
      }
    };
    proto.emit = patched as typeof proto.emit;
    return () => {
      if (proto.emit !== patched) return;
      if (hadOwn) proto.emit = original as typeof proto.emit;
      else delete (proto as { emit?: unknown }).emit;
    };
  };

  // A diagnostics-channel subscriber that throws would surface as an uncaught exception.
  const onFinish = (message: unknown): void => {
    try {
      recordFinished(message);
    } catch (err) {
      diag.error('twinkle: could not record a finished request', err);
    }
  };

  const recordFinished = (message: unknown): void => {
    const { request, response } = message as { request: RequestWithState; response: http.ServerResponse };
    const state = request[REQUEST_STATE];
    if (state === undefined) return;
    const method = request.method ?? 'GET';
    const statusCode = response.statusCode;
    const seconds = (performance.now() - state.start) / 1000;
    if (metrics !== undefined) metrics.record(method, state.route ?? ROUTE_UNMATCHED, statusCode, seconds, state.span);
    if (state.span !== undefined) endServerSpan(state.span, method, state.route, statusCode);
    if (accessLog !== undefined) accessLog.write(request, state, statusCode, seconds);
    if (statusCode >= 500 && onServerError !== undefined) onServerError(state, new RequestContext(ROOT_CONTEXT, state, state.span), method, statusCode);
  };

  const undo = [
    patchEmit(http.Server.prototype, false),
    patchEmit(https.Server.prototype as unknown as http.Server, true),
    patchWriteHeadForRequestId(HEADER_REQUEST_ID),
  ];
  subscribe(RESPONSE_FINISH, onFinish);
  return () => {
    unsubscribe(RESPONSE_FINISH, onFinish);
    for (const u of undo) u();
  };
}
