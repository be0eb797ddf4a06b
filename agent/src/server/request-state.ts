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
  /** The server span; absent when tracing is off or the request was not sampled. */
  span: Span | undefined;
  /** Registered route template, written by the route instrumentation. */
  route?: string;
  /** `performance.now()` when the request reached the server. */
  readonly start: number;
  /** The request id: a valid incoming `X-Request-Id`, or a generated one. */
  readonly requestId: string;
  /** The error the app's error handler turned into a response, written by the route instrumentation. */
  error?: unknown;
}

/** Where the state hangs on the `IncomingMessage`. */
export const REQUEST_STATE: unique symbol = Symbol('twinkle.request');

/** Creates the state of a request that just arrived. */
export function createRequestState(span: Span | undefined, requestId: string): ServerRequestState {
  return { type: RPCType.HTTP, span, route: undefined, start: performance.now(), requestId };
}

/** The state of the request the active context belongs to, if any. */
export function activeRequestState(ctx: Context): ServerRequestState | undefined {
  const metadata = getRPCMetadata(ctx) as Partial<ServerRequestState> | undefined;
  return metadata !== undefined && typeof metadata.requestId === 'string' ? (metadata as ServerRequestState) : undefined;
}
