import type { IncomingMessage } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { ATTR_TWINKLE_REQUEST_ID } from '@twinkle/semconv';
import { normalizeMethod } from '../metrics/http.js';
import { LeanSpan } from '../tracing/lean-span.js';
import type { LeanTracer } from '../tracing/lean-tracer.js';
import { requestPath } from './request-path.js';
import type { ServerRequestState } from './request-state.js';

/** The parent context of an incoming request: W3C trace context and baggage from its headers. */
export function extractParentContext(req: IncomingMessage): Context {
  return propagation.extract(ROOT_CONTEXT, req.headers);
}

/**
 * Starts the SERVER span of an incoming request, named by its method until the route
 * is known, with the semantic-convention HTTP attributes known at arrival and the
 * request id. Every value is one the agent produced or Node's parser validated, so the
 * span takes them as they are.
 */
export function startServerSpan(tracer: LeanTracer, req: IncomingMessage, parent: Context, encrypted: boolean, state: ServerRequestState): Span {
  const method = normalizeMethod(req.method ?? 'GET');
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    // An incoming path can carry a key too (`/v2/<key>`): recorded scrubbed.
    [ATTR_URL_PATH]: requestPath(req, state),
    [ATTR_URL_SCHEME]: encrypted ? 'https' : 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
    [ATTR_TWINKLE_REQUEST_ID]: state.requestId,
  };
  let count = 5;
  const userAgent = req.headers['user-agent'];
  if (userAgent) {
    attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
    count++;
  }
  const client = req.socket.remoteAddress;
  if (client) {
    attributes[ATTR_CLIENT_ADDRESS] = client;
    count++;
  }
  return tracer.startSpan(method, SpanKind.SERVER, attributes, count, parent);
}

/** Names the span `METHOD /route/pattern`, sets the response attributes, and ends it. */
export function endServerSpan(span: Span, method: string, route: string | undefined, statusCode: number): void {
  if (!(span instanceof LeanSpan)) {
    // Not sampled: a non-recording span, for which all of this is nothing.
    span.end();
    return;
  }
  span.setTrustedAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
  if (route !== undefined) {
    span.setTrustedAttribute(ATTR_HTTP_ROUTE, route);
    span.updateName(`${normalizeMethod(method)} ${route}`);
  }
  // Server spans are errors only for 5xx (semantic conventions, HTTP spans).
  if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
