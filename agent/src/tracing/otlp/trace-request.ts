/**
 * An OTLP `ExportTraceServiceRequest` built span by span: each span is encoded into
 * the buffer of its resource and instrumentation scope the moment it ends, so finished
 * spans are bytes rather than objects waiting in a queue, and sending a batch is one
 * copy of those bytes behind the resource and scope headers. A batch is laid out as
 * OpenTelemetry's serializer lays out the same spans: by resource, then by scope, each
 * in the order of its first span in the batch. Everything a span brings (its name,
 * events, links, its scope's name and version) is encoded when the span is added, so a
 * value that cannot be encoded costs that span alone, never a batch. The resource (the
 * agent's own, whose host id may still be being read when the first span ends) is
 * encoded when the batch leaves.
 */
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeResource, encodeSchemaUrl, encodeScope, encodeSpan } from './encode-span.js';
import { ProtoWriter } from './proto-writer.js';

/** A scope's encoded header and trailer, and the spans of the batch being built. */
interface ScopeGroup {
  /** `ScopeSpans.scope` (field 1), encoded once. */
  readonly header: Buffer;
  /** `ScopeSpans.schema_url` (field 3), when there is one. */
  readonly trailer: Buffer;
  writer: ProtoWriter;
}

/** A resource's scopes, and those with spans in the batch being built, in the order of their first span. */
interface ResourceGroup {
  readonly resource: Resource;
  readonly scopes: Map<InstrumentationScope, ScopeGroup>;
  inBatch: ScopeGroup[];
}

const EMPTY_RESOURCE = { attributes: {} } as Resource;

/** A scope's buffer that grew past this for one batch (a span with huge attributes) is not kept. */
const MAX_KEPT_BUFFER = 1024 * 1024;

/** Encoded spans waiting for their batch to be sent. */
export class TraceRequest {
  private readonly resources = new Map<Resource, ResourceGroup>();
  /** Resources with spans in the batch being built, in the order of their first span. */
  private batch: ResourceGroup[] = [];
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
   * Encodes one span. If anything of it cannot be encoded, nothing of the span stays
   * behind and the error is rethrown; the spans before it are intact.
   */
  add(span: ReadableSpan): void {
    let resource = this.resources.get(span.resource);
    if (resource === undefined) {
      resource = { resource: span.resource, scopes: new Map(), inBatch: [] };
      this.resources.set(span.resource, resource);
    }
    let scope = resource.scopes.get(span.instrumentationScope);
    if (scope === undefined) {
      scope = encodeScopeGroup(span.instrumentationScope);
      resource.scopes.set(span.instrumentationScope, scope);
    }
    const writer = scope.writer;
    const mark = writer.pos;
    try {
      encodeSpan(writer, span);
    } catch (err) {
      writer.pos = mark;
      throw err;
    }
    if (mark === 0) {
      if (resource.inBatch.length === 0) this.batch.push(resource);
      resource.inBatch.push(scope);
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
    for (const resource of this.batch) {
      out.tag(1, 2);
      const resourceSpans = out.begin(3);
      const mark = out.pos;
      try {
        encodeResource(out, resource.resource);
      } catch {
        // A resource is made of strings and numbers; should one not encode, the spans still go.
        out.pos = mark;
        encodeResource(out, EMPTY_RESOURCE);
      }
      for (const scope of resource.inBatch) {
        out.tag(2, 2);
        const scopeSpans = out.begin(3);
        out.raw(scope.header, 0, scope.header.length);
        out.raw(scope.writer.buf, 0, scope.writer.pos);
        out.raw(scope.trailer, 0, scope.trailer.length);
        out.end(scopeSpans, 3);
      }
      encodeSchemaUrl(out, resource.resource.schemaUrl, 3);
      out.end(resourceSpans, 3);
    }
    this.clear();
    return out.buf.subarray(0, out.pos);
  }

  /** Forgets what was encoded and not taken. */
  clear(): void {
    for (const resource of this.batch) {
      for (const scope of resource.inBatch) {
        scope.writer.pos = 0;
        if (scope.writer.buf.length > MAX_KEPT_BUFFER) scope.writer = new ProtoWriter();
      }
      resource.inBatch = [];
    }
    this.batch = [];
    this.spanCount = 0;
    this.byteCount = 0;
  }
}

/** A scope's header and trailer; throws when the scope cannot be encoded. */
function encodeScopeGroup(scope: InstrumentationScope): ScopeGroup {
  const header = new ProtoWriter(256);
  encodeScope(header, scope);
  const trailer = new ProtoWriter(64);
  encodeSchemaUrl(trailer, scope.schemaUrl, 3);
  return { header: header.copy(), trailer: trailer.copy(), writer: new ProtoWriter() };
}
