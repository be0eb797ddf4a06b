/** What one OTLP export holds. */
export interface OtlpSpanCount {
  readonly spans: number;
  /** Spans without a parent. */
  readonly rootSpans: number;
  /** Spans of kind SERVER: one per traced request. */
  readonly serverSpans: number;
}

const VARINT = 0;
const LEN = 2;
const SPAN_KIND_SERVER = 2;

/**
 * Counts the spans of an `ExportTraceServiceRequest` in protobuf by walking its framing only:
 * resource_spans (1) -> scope_spans (2) -> spans (2), and each span's parent_span_id (4) and kind (6).
 * Nothing is decoded beyond lengths, so the receiver stays cheap.
 */
export function countOtlpSpans(buf: Uint8Array): OtlpSpanCount {
  let spans = 0;
  let rootSpans = 0;
  let serverSpans = 0;
  forEachField(buf, 0, buf.length, (field, wire, start, end) => {
    if (field !== 1 || wire !== LEN) return;
    forEachField(buf, start, end, (field, wire, start, end) => {
      if (field !== 2 || wire !== LEN) return;
      forEachField(buf, start, end, (field, wire, start, end) => {
        if (field !== 2 || wire !== LEN) return;
        spans++;
        let hasParent = false;
        forEachField(buf, start, end, (field, wire, start, end) => {
          if (field === 4 && wire === LEN && end > start) hasParent = true;
          else if (field === 6 && wire === VARINT && readVarint(buf, start)[0] === SPAN_KIND_SERVER) serverSpans++;
        });
        if (!hasParent) rootSpans++;
      });
    });
  });
  return { spans, rootSpans, serverSpans };
}

/** Counts the spans of an `ExportTraceServiceRequest` in OTLP/JSON. */
export function countOtlpJsonSpans(text: string): OtlpSpanCount {
  interface Span { parentSpanId?: string; kind?: number }
  const body = JSON.parse(text) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Span[] }> }> };
  let spans = 0;
  let rootSpans = 0;
  let serverSpans = 0;
  for (const rs of body.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        spans++;
        if (!span.parentSpanId) rootSpans++;
        if (span.kind === SPAN_KIND_SERVER) serverSpans++;
      }
    }
  }
  return { spans, rootSpans, serverSpans };
}

type FieldVisitor = (field: number, wireType: number, start: number, end: number) => void;

/** Calls `visit` for each field of the message in buf[start, end); for length-delimited fields, start/end bound the payload. */
function forEachField(buf: Uint8Array, start: number, end: number, visit: FieldVisitor): void {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = afterKey;
    switch (wire) {
      case VARINT: {
        const [, next] = readVarint(buf, pos);
        visit(field, wire, pos, next);
        pos = next;
        break;
      }
      case 1:
        visit(field, wire, pos, pos + 8);
        pos += 8;
        break;
      case LEN: {
        const [length, payload] = readVarint(buf, pos);
        visit(field, wire, payload, payload + length);
        pos = payload + length;
        break;
      }
      case 5:
        visit(field, wire, pos, pos + 4);
        pos += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wire} at ${pos}`);
    }
  }
  if (pos !== end) throw new Error('protobuf field runs past the end of its message');
}

/** [value, position after it]; multiplication keeps values above 2^31 exact (lengths never reach 2^53). */
function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated protobuf varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 128;
  }
}
