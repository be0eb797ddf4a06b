import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { ATTR_TWINKLE_REQUEST_ID, ATTR_TWINKLE_SETTLEMENT_STATUS, ATTR_TWINKLE_SETTLEMENT_TYPE } from '@twinkle/semconv';
import { ATTR_RPC_METHOD, ATTR_RPC_SYSTEM } from '../instrumentations/client-span-hooks.js';
import { scrubAttributesInPlace, scrubString } from '../scrub.js';

type MutableAttributes = Record<string, unknown>;

/**
 * Attributes that are safe by construction (a method, a route template, a validated
 * request id, an address) or scrubbed where they are set (url.path, url.full): not
 * scanned again on every span.
 */
const SAFE_KEYS: ReadonlySet<string> = new Set([
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  ATTR_URL_PATH,
  ATTR_URL_FULL,
  ATTR_URL_QUERY,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_CLIENT_ADDRESS,
  ATTR_SERVER_ADDRESS,
  ATTR_TWINKLE_REQUEST_ID,
  ATTR_TWINKLE_SETTLEMENT_TYPE,
  ATTR_TWINKLE_SETTLEMENT_STATUS,
  ATTR_RPC_SYSTEM,
  ATTR_RPC_METHOD,
]);

/**
 * Runs the attributes of an ended span and of its events (a recorded exception's
 * message and stack), its status message and its name through the shared scrubber:
 * whatever an instrumentation or the app put there (a SQL text with a literal key, an
 * error message with a URL, an attribute named `apiKey`), no secret leaves. It edits the
 * ended span's own attribute objects, which nothing reads after `onEnd`, in place, and
 * never throws.
 */
export function scrubSpan(span: ReadableSpan): void {
  try {
    scrubAttributesInPlace(span.attributes as MutableAttributes, SAFE_KEYS);
    for (const event of span.events) if (event.attributes) scrubAttributesInPlace(event.attributes as MutableAttributes);
    const status = span.status as { message?: string };
    if (status.message) status.message = scrubString(status.message);
    const named = span as { name: string };
    named.name = scrubString(named.name);
  } catch {
    // scrubbing never stops a span from being exported
  }
}

/** Scrubs each ended span (`scrubSpan`) before handing it on: for exporters other than the agent's own OTLP encoder. */
export class ScrubbingSpanProcessor implements SpanProcessor {
  /** Spans ended so far. */
  ended = 0;

  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.ended++;
    scrubSpan(span);
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
