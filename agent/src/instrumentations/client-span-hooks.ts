import type { Attributes } from '@opentelemetry/api';
import { ATTR_URL_FULL, ATTR_URL_PATH, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions';
import { scrubUrl } from '../scrub.js';
import { activeJsonRpcMethod } from './json-rpc/json-rpc.js';

/** `rpc.system` (OpenTelemetry semantic conventions for RPC spans; incubating, so not in the stable entry). */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** `rpc.method`, ditto. */
export const ATTR_RPC_METHOD = 'rpc.method';

/**
 * Attributes undici's client span starts with instead of its own URL ones: the URL
 * with credentials and API keys scrubbed, and the JSON-RPC method when the call is one.
 */
export function undiciStartAttributes(request: { origin: string; path: string }): Attributes {
  const url = scrubUrl(new URL(request.path, request.origin).toString());
  const parsed = new URL(url);
  const attributes: Attributes = {
    [ATTR_URL_FULL]: url,
    [ATTR_URL_PATH]: parsed.pathname,
    [ATTR_URL_QUERY]: parsed.search,
  };
  const method = activeJsonRpcMethod();
  if (method !== undefined) {
    attributes[ATTR_RPC_SYSTEM] = 'jsonrpc';
    attributes[ATTR_RPC_METHOD] = method;
  }
  return attributes;
}

/** The span name of a client call: `POST eth_blockNumber` for JSON-RPC, left alone otherwise. */
export function jsonRpcSpanName(httpMethod: string): string | undefined {
  const method = activeJsonRpcMethod();
  return method === undefined ? undefined : `${httpMethod} ${method}`;
}

/** Options of an outgoing `http.request`, as instrumentation-http hands them to its hook. */
interface OutgoingOptions {
  protocol?: string | null;
  hostname?: string | null;
  host?: string | null;
  port?: string | number | null;
  path?: string | null;
}

/** instrumentation-http's `url.full` for an outgoing request, rebuilt without auth and scrubbed. */
export function httpClientStartAttributes(options: OutgoingOptions): Attributes {
  const protocol = options.protocol ?? 'http:';
  const host = options.hostname ?? options.host ?? 'localhost';
  const port = options.port ? `:${options.port}` : '';
  return { [ATTR_URL_FULL]: scrubUrl(`${protocol}//${host}${port}${options.path ?? '/'}`) };
}
