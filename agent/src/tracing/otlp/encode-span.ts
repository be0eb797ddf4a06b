/**
 * OTLP protobuf encoding of spans, written straight into a `ProtoWriter`: the same
 * messages, fields and field order as OpenTelemetry's `serializeTraceExportRequest`
 * (`@opentelemetry/otlp-transformer`, trace-serializer.ts and common-serializer.ts),
 * so a receiver decodes exactly what OpenTelemetry's exporter would have sent. A
 * differential test (test/agent/tracing/otlp) holds the two equal field by field.
 */
import type { Attributes, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { ProtoWriter } from './proto-writer.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** opentelemetry-proto trace.proto `SpanFlags`. */
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0);
}

/** common.proto `AnyValue`'s content for one attribute value. */
function encodeAnyValue(w: ProtoWriter, value: unknown): void {
  const type = typeof value;
  if (type === 'string') {
    w.tag(1, WIRE_LENGTH);
    w.string(value as string);
  } else if (type === 'boolean') {
    w.tag(2, WIRE_VARINT);
    w.varint(value ? 1 : 0);
  } else if (type === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.tag(3, WIRE_VARINT);
      w.varint(n);
    } else {
      w.tag(4, WIRE_FIXED64);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, WIRE_LENGTH);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, WIRE_LENGTH);
    const array = w.begin(1);
    for (const item of value) {
      w.tag(1, WIRE_LENGTH);
      const at = w.begin(1);
      encodeAnyValue(w, item);
      w.end(at, 1);
    }
    w.end(array, 1);
  } else if (type === 'object' && value !== null) {
    w.tag(6, WIRE_LENGTH);
    const list = w.begin(1);
    const object = value as Record<string, unknown>;
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      w.tag(1, WIRE_LENGTH);
      const kv = w.begin(1);
      encodeKeyValueContent(w, key, object[key]);
      w.end(kv, 1);
    }
    w.end(list, 1);
  }
  // undefined and null: an AnyValue with no value, as OpenTelemetry writes it.
}

function encodeKeyValueContent(w: ProtoWriter, key: string, value: unknown): void {
  w.tag(1, WIRE_LENGTH);
  w.string(key);
  w.tag(2, WIRE_LENGTH);
  const at = w.begin(1);
  encodeAnyValue(w, value);
  w.end(at, 1);
}

/** Repeated `KeyValue` as field `field`. */
export function encodeAttributes(w: ProtoWriter, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.tag(field, WIRE_LENGTH);
    const at = w.begin(1);
    encodeKeyValueContent(w, key, attributes[key]);
    w.end(at, 1);
  }
}

function encodeStatus(w: ProtoWriter, status: SpanStatus): void {
  w.tag(15, WIRE_LENGTH);
  const at = w.begin(1);
  if (status.message) {
    w.tag(2, WIRE_LENGTH);
    w.string(status.message);
  }
  w.tag(3, WIRE_VARINT);
  w.varint(status.code);
  w.end(at, 1);
}

function encodeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.tag(11, WIRE_LENGTH);
  const at = w.begin(2);
  w.tag(1, WIRE_FIXED64);
  w.hrTime(event.time);
  w.tag(2, WIRE_LENGTH);
  w.string(event.name);
  if (event.attributes) encodeAttributes(w, event.attributes, 3);
  w.tag(4, WIRE_VARINT);
  w.varint(event.droppedAttributesCount || 0);
  w.end(at, 2);
}

/** trace_id, span_id and trace_state: fields 1 to 3 of both `Span` and `Span.Link`. */
function encodeIds(w: ProtoWriter, ctx: SpanContext): void {
  w.tag(1, WIRE_LENGTH);
  w.hexBytes(ctx.traceId);
  w.tag(2, WIRE_LENGTH);
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, WIRE_LENGTH);
    w.string(traceState);
  }
}

function encodeLink(w: ProtoWriter, link: Link & { droppedAttributesCount?: number }): void {
  w.tag(13, WIRE_LENGTH);
  const at = w.begin(1);
  const ctx: SpanContext = link.context;
  encodeIds(w, ctx);
  if (link.attributes) encodeAttributes(w, link.attributes, 4);
  w.tag(5, WIRE_VARINT);
  w.varint(link.droppedAttributesCount || 0);
  w.tag(6, WIRE_FIXED32);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(at, 1);
}

/** One `Span` message, with its key as field 2 of `ScopeSpans`. */
export function encodeSpan(w: ProtoWriter, span: ReadableSpan): void {
  w.tag(2, WIRE_LENGTH);
  const at = w.begin(2);
  const ctx = span.spanContext();
  encodeIds(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, WIRE_LENGTH);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, WIRE_LENGTH);
  w.string(span.name);
  // The API's SpanKind starts at INTERNAL = 0; the protocol's at UNSPECIFIED = 0.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, WIRE_VARINT);
    w.varint(kind);
  }
  w.tag(7, WIRE_FIXED64);
  w.hrTime(span.startTime);
  w.tag(8, WIRE_FIXED64);
  w.hrTime(span.endTime);
  if (span.attributes) encodeAttributes(w, span.attributes, 9);
  w.tag(10, WIRE_VARINT);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) encodeEvent(w, event);
  w.tag(12, WIRE_VARINT);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) encodeLink(w, link);
  w.tag(14, WIRE_VARINT);
  w.varint(span.droppedLinksCount);
  encodeStatus(w, span.status);
  w.tag(16, WIRE_FIXED32);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(at, 2);
}

/** `InstrumentationScope` as field 1 of `ScopeSpans`. */
export function encodeScope(w: ProtoWriter, scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number }): void {
  w.tag(1, WIRE_LENGTH);
  const at = w.begin(1);
  w.tag(1, WIRE_LENGTH);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, WIRE_LENGTH);
    w.string(scope.version);
  }
  if (scope.attributes) encodeAttributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, WIRE_VARINT);
    w.varint(scope.droppedAttributesCount);
  }
  w.end(at, 1);
}

/** `Resource` as field 1 of `ResourceSpans`. */
export function encodeResource(w: ProtoWriter, resource: Resource): void {
  w.tag(1, WIRE_LENGTH);
  const at = w.begin(2);
  if (resource.attributes) encodeAttributes(w, resource.attributes, 1);
  w.tag(2, WIRE_VARINT);
  w.varint(0);
  w.end(at, 2);
}

/** A schema URL as the given field, when there is one. */
export function encodeSchemaUrl(w: ProtoWriter, schemaUrl: string | undefined, field: number): void {
  if (!schemaUrl) return;
  w.tag(field, WIRE_LENGTH);
  w.string(schemaUrl);
}
