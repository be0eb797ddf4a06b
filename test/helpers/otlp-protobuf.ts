/**
 * A decoder for the part of OTLP's protobuf messages the tests read
 * (opentelemetry-proto: collector/trace/v1 ExportTraceServiceRequest and what it holds),
 * written against the protobuf wire format so the receiver decodes what the real
 * exporter sends without a generated client.
 */

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) {
      const view = new DataView(buf.buffer, buf.byteOffset + pos, 8);
      yield { no, wire, value: view.getBigUint64(0, true) };
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) {
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function anyValue(buf: Uint8Array): unknown {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        return utf8(f.value as Uint8Array);
      case 2:
        return (f.value as bigint) !== 0n;
      case 3:
        return Number(BigInt.asIntN(64, f.value as bigint));
      case 4: {
        const b = new DataView(new ArrayBuffer(8));
        b.setBigUint64(0, f.value as bigint, true);
        return b.getFloat64(0, true);
      }
      case 5:
        return [...fields(f.value as Uint8Array)].filter((x) => x.no === 1).map((x) => anyValue(x.value as Uint8Array));
      default:
        return undefined;
    }
  }
  return undefined;
}

function keyValues(list: Uint8Array[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    let key = '';
    let value: unknown;
    for (const f of fields(kv)) {
      if (f.no === 1) key = utf8(f.value as Uint8Array);
      if (f.no === 2) value = anyValue(f.value as Uint8Array);
    }
    out[key] = value;
  }
  return out;
}

/** A span decoded from protobuf, in the shape the JSON path produces. */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
  scope: string;
}

/** Decodes an ExportTraceServiceRequest. */
export function decodeTraceRequest(body: Uint8Array): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    let resource: Record<string, unknown> = {};
    const scopeSpans: Uint8Array[] = [];
    for (const f of fields(rs.value as Uint8Array)) {
      if (f.no === 1) resource = keyValues([...fields(f.value as Uint8Array)].filter((x) => x.no === 1).map((x) => x.value as Uint8Array));
      if (f.no === 2) scopeSpans.push(f.value as Uint8Array);
    }
    for (const ss of scopeSpans) {
      let scope = '';
      for (const f of fields(ss)) {
        if (f.no === 1) for (const s of fields(f.value as Uint8Array)) if (s.no === 1) scope = utf8(s.value as Uint8Array);
        if (f.no !== 2) continue;
        const span: DecodedSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0, attributes: {}, status: {}, resource, scope };
        const attrs: Uint8Array[] = [];
        for (const sf of fields(f.value as Uint8Array)) {
          if (sf.no === 1) span.traceId = hex(sf.value as Uint8Array);
          else if (sf.no === 2) span.spanId = hex(sf.value as Uint8Array);
          else if (sf.no === 4) span.parentSpanId = hex(sf.value as Uint8Array);
          else if (sf.no === 5) span.name = utf8(sf.value as Uint8Array);
          else if (sf.no === 6) span.kind = Number(sf.value);
          else if (sf.no === 9) attrs.push(sf.value as Uint8Array);
          else if (sf.no === 15)
            for (const st of fields(sf.value as Uint8Array)) {
              if (st.no === 2) span.status.message = utf8(st.value as Uint8Array);
              if (st.no === 3) span.status.code = Number(st.value);
            }
        }
        span.attributes = keyValues(attrs);
        spans.push(span);
      }
    }
  }
  return spans;
}
