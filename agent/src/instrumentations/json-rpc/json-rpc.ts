import { context, createContextKey, type Context } from '@opentelemetry/api';

const JSON_RPC_METHOD = createContextKey('twinkle.json-rpc.method');
/** `"method":"eth_blockNumber"` inside a JSON-RPC body (single call or batch). */
const METHOD_FIELD = /"method"\s*:\s*"([A-Za-z0-9_.:/-]{1,100})"/g;
/** Bodies larger than this are not searched: JSON-RPC requests are small. */
const MAX_BODY = 64 * 1024;

/**
 * The JSON-RPC method(s) of a request body, or undefined when it is not JSON-RPC:
 * `eth_blockNumber`, or `eth_call,eth_getBalance` for a batch. A pattern search, not a
 * parse: the body is the application's and may be large or malformed.
 */
export function jsonRpcMethodOf(body: unknown): string | undefined {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array && body.byteLength <= MAX_BODY) text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else return undefined;
  if (text.length > MAX_BODY || !text.includes('"jsonrpc"')) return undefined;
  const methods = new Set<string>();
  for (const m of text.matchAll(METHOD_FIELD)) methods.add(m[1]);
  return methods.size > 0 ? [...methods].join(',') : undefined;
}

/** The JSON-RPC method the active `fetch` call carries, for the client span's hook. */
export function activeJsonRpcMethod(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(JSON_RPC_METHOD) as string | undefined;
}

type Fetch = typeof globalThis.fetch;
const ORIGINAL = Symbol('twinkle.fetch.original');

/**
 * Wraps `globalThis.fetch` so a JSON-RPC call's method is known when undici's client
 * span starts: undici hands its diagnostics channel the body as a stream, which cannot
 * be read there. Only string and byte bodies are looked at; the call itself is unchanged.
 * Returns the function that undoes it.
 */
export function patchFetchForJsonRpc(): () => void {
  const original = globalThis.fetch as Fetch & { [ORIGINAL]?: Fetch };
  if (typeof original !== 'function' || original[ORIGINAL] !== undefined) return () => {};
  const patched = function fetch(this: unknown, input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) {
    let method: string | undefined;
    try {
      method = init?.body === undefined || init.body === null ? undefined : jsonRpcMethodOf(init.body);
    } catch {
      method = undefined;
    }
    if (method === undefined) return original.call(this, input, init);
    return context.with(context.active().setValue(JSON_RPC_METHOD, method), () => original.call(this, input, init));
  } as Fetch & { [ORIGINAL]?: Fetch };
  Object.defineProperty(patched, ORIGINAL, { value: original });
  globalThis.fetch = patched;
  return () => {
    if (globalThis.fetch === patched) globalThis.fetch = original;
  };
}
