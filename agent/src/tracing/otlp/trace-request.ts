/**
 * An OTLP `ExportTraceServiceRequest` built span by span: each span is encoded into
 * the buffer of its resource and instrumentation scope the moment it ends, so finished
 * spans are bytes rather than objects waiting in a queue, and sending a batch is one
 * copy of those bytes behind the resource and scope headers. Spans keep OpenTelemetry's
 * grouping and order: by resource, then scope, in the order first seen.
 */
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeResource, encodeSchemaUrl, encodeScope, encodeSpan } from './encode-span.js';
import { ProtoWriter } from './proto-writer.js';

type ScopeGroups = Map<InstrumentationScope, ProtoWriter>;

/** A scope's buffer that grew past this for one batch (a span with huge attributes) is not kept. */
const MAX_KEPT_BUFFER = 1024 * 1024;

/** Encoded spans waiting for their batch to be sent. */
export class TraceRequest {
  private readonly resources = new Map<Resource, ScopeGroups>();
  private spanCount = 0;
  private byteCount = 0;

  /** Spans encoded since the last `take()`. */
  get spans(): number {
    return this.spanCount;
  }

  /** Bytes of span messages encoded since the last `take()`. */
  get bytes(): number {
    return this.byteCount;
  }

  /**
   * Encodes one span. If encoding throws, nothing of the span stays behind and the
   * error is rethrown; the spans before it are intact.
   */
  add(span: ReadableSpan): void {
    let scopes = this.resources.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.resources.set(span.resource, scopes);
    }
    let writer = scopes.get(span.instrumentationScope);
    if (writer === undefined) {
      writer = new ProtoWriter();
      scopes.set(span.instrumentationScope, writer);
    }
    const mark = writer.pos;
    try {
      encodeSpan(writer, span);
    } catch (err) {
      writer.pos = mark;
      throw err;
    }
    this.spanCount++;
    this.byteCount += writer.pos - mark;
  }

  /**
   * The request holding every span encoded since the last call, in a buffer of its own
   * (the transport may keep it for retries), or `undefined` when there is none. The
   * span buffers are kept for the next batch.
   */
  take(): Uint8Array | undefined {
    if (this.spanCount === 0) return undefined;
    const out = new ProtoWriter(this.byteCount + 4096);
    for (const [resource, scopes] of this.resources) {
      let any = false;
      for (const w of scopes.values()) any ||= w.pos > 0;
      if (!any) continue;
      out.tag(1, 2);
      const resourceSpans = out.begin(3);
      encodeResource(out, resource);
      for (const [scope, w] of scopes) {
        if (w.pos === 0) continue;
        out.tag(2, 2);
        const scopeSpans = out.begin(3);
        encodeScope(out, scope);
        out.raw(w.buf, 0, w.pos);
        encodeSchemaUrl(out, scope.schemaUrl, 3);
        out.end(scopeSpans, 3);
        w.pos = 0;
        if (w.buf.length > MAX_KEPT_BUFFER) scopes.set(scope, new ProtoWriter());
      }
      encodeSchemaUrl(out, resource.schemaUrl, 3);
      out.end(resourceSpans, 3);
    }
    this.spanCount = 0;
    this.byteCount = 0;
    return out.buf.subarray(0, out.pos);
  }

  /** Forgets what was encoded and not taken. */
  clear(): void {
    for (const scopes of this.resources.values()) for (const w of scopes.values()) w.pos = 0;
    this.spanCount = 0;
    this.byteCount = 0;
  }
}
