import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { scrubString } from '../scrub.js';

type MutableAttributes = Record<string, unknown>;

function scrubAttributes(attributes: MutableAttributes): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string') {
      const scrubbed = scrubString(value);
      if (scrubbed !== value) attributes[key] = scrubbed;
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (typeof value[i] === 'string') value[i] = scrubString(value[i] as string);
    }
  }
}

/**
 * Runs every string attribute of an ended span and of its events (a recorded
 * exception's message and stack), its status message and its name, through the shared
 * scrubber before the span is
 * handed on for export: whatever an instrumentation or the app put there (a SQL text
 * with a literal key, an error message with a URL), no secret shape leaves. It edits
 * the ended span's own attribute objects, which nothing reads after `onEnd`, in place.
 */
export class ScrubbingSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    try {
      scrubAttributes(span.attributes as MutableAttributes);
      for (const event of span.events) if (event.attributes) scrubAttributes(event.attributes as MutableAttributes);
      const status = span.status as { message?: string };
      if (status.message) status.message = scrubString(status.message);
      const named = span as { name: string };
      named.name = scrubString(named.name);
    } catch {
      // scrubbing never stops a span from being exported
    }
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
