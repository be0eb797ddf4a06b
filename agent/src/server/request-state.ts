import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Context, Span } from '@opentelemetry/api';

/**
 * What the agent keeps per incoming request. It is also the request's OpenTelemetry
 * RPC metadata (`getRPCMetadata(context.active())`), the one place route
 * instrumentations (ours for Hono, contrib's for Express and others) write the
 * matched route template to.
 */
export interface ServerRequestState {
  readonly type: RPCType.HTTP;
  /** The server span; absent when tracing is off. */
  span: Span | undefined;
  /** Registered route template, written by the route instrumentation. */
  route?: string;
  /** `performance.now()` when the request reached the server. */
  readonly start: number;
  /** The request id: a valid incoming `X-Request-Id`, or a generated one. */
  readonly requestId: string;
  /** The error the app's error handler turned into a response, written by the route instrumentation. */
  error?: unknown;
  /** The recorded path (`requestPath`), once something asked for it. */
  path?: string;
}

/** Where the state hangs on the `IncomingMessage`. */
export const REQUEST_STATE: unique symbol = Symbol('twinkle.request');

/** Creates the state of a request that just arrived. */
export function createRequestState(span: Span | undefined, requestId: string): ServerRequestState {
  return { type: RPCType.HTTP, span, route: undefined, start: performance.now(), requestId, error: undefined, path: undefined };
}

/** The state of the request the active context belongs to, if any. */
export function activeRequestState(ctx: Context): ServerRequestState | undefined {
  const metadata = getRPCMetadata(ctx) as Partial<ServerRequestState> | undefined;
  return metadata !== undefined && typeof metadata.requestId === 'string' ? (metadata as ServerRequestState) : undefined;
}

let dispatching: ServerRequestState | undefined;

/**
 * Marks `state` as the request whose server `request` event is running, until
 * `endDispatch(previous)`. Routing that runs synchronously inside that event (Hono's
 * `router.match` does) reads the request from here without any asynchronous context.
 * Returns the request marked before (events can nest), for `endDispatch`.
 */
export function beginDispatch(state: ServerRequestState): ServerRequestState | undefined {
  const previous = dispatching;
  dispatching = state;
  return previous;
}

/** Ends what `beginDispatch` began. */
export function endDispatch(previous: ServerRequestState | undefined): void {
  dispatching = previous;
}

/** The request whose `request` event is running right now, if any. */
export function requestInDispatch(): ServerRequestState | undefined {
  return dispatching;
}
