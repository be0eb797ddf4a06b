/**
 * The context a request runs in: its SERVER span and its state (which is also the
 * request's OpenTelemetry RPC metadata), in one object over the parent context.
 * OpenTelemetry's `BaseContext` copies its whole map on every `setValue`, so setting
 * the span and then the metadata cost two contexts and two map copies per request;
 * this is one small object, and what code inside the request adds to it (a child
 * span, suppressed tracing) costs one link, not a copy.
 */
import { createContextKey, type Context, type Span } from '@opentelemetry/api';
import type { ServerRequestState } from './request-state.js';

/**
 * The keys `trace.setSpan` and `setRPCMetadata` use: `createContextKey` is `Symbol.for`,
 * so the same description is the same key (@opentelemetry/api trace/context-utils.ts,
 * @opentelemetry/core trace/rpc-metadata.ts). A test holds them equal.
 */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');

/** A context that sets (or, with `undefined`, deletes) one value over its parent. */
class ChildContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ChildContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new ChildContext(this, key, undefined);
  }
}

/** The context of one incoming request. */
export class RequestContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly state: ServerRequestState,
    private readonly span: Span | undefined,
  ) {}

  getValue(key: symbol): unknown {
    if (key === RPC_METADATA_KEY) return this.state;
    if (key === SPAN_KEY && this.span !== undefined) return this.span;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ChildContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new ChildContext(this, key, undefined);
  }
}
