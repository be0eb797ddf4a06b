/**
 * A decoder for OTLP's trace messages (opentelemetry-proto: collector/trace/v1
 * ExportTraceServiceRequest and everything it holds), written against the protobuf
 * wire format and the .proto field numbers, so tests decode what a real exporter sends
 * without a generated client. `decodeExportRequest` keeps every field (repeated fields
 * as arrays, 64-bit numbers as bigint) for field-by-field comparisons; an unknown field
 * or a wire type that does not match the schema is an error, not something skipped.
 */

type Field = { no: number; wire: number; value: bigint | Uint8Array | number };

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
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) {
      if (pos + 8 > buf.length) throw new Error('truncated fixed64');
      yield { no, wire, value: view.getBigUint64(pos, true) };
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error(`length ${len} runs past the end of the message`);
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) {
      if (pos + 4 > buf.length) throw new Error('truncated fixed32');
      yield { no, wire, value: view.getUint32(pos, true) };
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

type Scalar = 'string' | 'bytes' | 'hex' | 'uint' | 'int64' | 'fixed64' | 'fixed32' | 'double' | 'bool';
type FieldSpec = readonly [name: string, type: Scalar | Schema, repeated?: 'repeated'];
type Schema = { readonly [no: number]: FieldSpec };

/** `AnyValue` is a oneof: decoded to the JavaScript value it stands for. */
const ANY_VALUE = 'AnyValue' as const;

const KEY_VALUE: Schema = { 1: ['key', 'string'], 2: ['value', ANY_VALUE as unknown as Schema] };
const SCOPE: Schema = { 1: ['name', 'string'], 2: ['version', 'string'], 3: ['attributes', KEY_VALUE, 'repeated'], 4: ['droppedAttributesCount', 'uint'] };
const RESOURCE: Schema = { 1: ['attributes', KEY_VALUE, 'repeated'], 2: ['droppedAttributesCount', 'uint'] };
const EVENT: Schema = { 1: ['timeUnixNano', 'fixed64'], 2: ['name', 'string'], 3: ['attributes', KEY_VALUE, 'repeated'], 4: ['droppedAttributesCount', 'uint'] };
const LINK: Schema = {
  1: ['traceId', 'hex'],
  2: ['spanId', 'hex'],
  3: ['traceState', 'string'],
  4: ['attributes', KEY_VALUE, 'repeated'],
  5: ['droppedAttributesCount', 'uint'],
  6: ['flags', 'fixed32'],
};
const STATUS: Schema = { 2: ['message', 'string'], 3: ['code', 'uint'] };
const SPAN: Schema = {
  1: ['traceId', 'hex'],
  2: ['spanId', 'hex'],
  3: ['traceState', 'string'],
  4: ['parentSpanId', 'hex'],
  5: ['name', 'string'],
  6: ['kind', 'uint'],
  7: ['startTimeUnixNano', 'fixed64'],
  8: ['endTimeUnixNano', 'fixed64'],
  9: ['attributes', KEY_VALUE, 'repeated'],
  10: ['droppedAttributesCount', 'uint'],
  11: ['events', EVENT, 'repeated'],
  12: ['droppedEventsCount', 'uint'],
  13: ['links', LINK, 'repeated'],
  14: ['droppedLinksCount', 'uint'],
  15: ['status', STATUS],
  16: ['flags', 'fixed32'],
};
const SCOPE_SPANS: Schema = { 1: ['scope', SCOPE], 2: ['spans', SPAN, 'repeated'], 3: ['schemaUrl', 'string'] };
const RESOURCE_SPANS: Schema = { 1: ['resource', RESOURCE], 2: ['scopeSpans', SCOPE_SPANS, 'repeated'], 3: ['schemaUrl', 'string'] };
const EXPORT_REQUEST: Schema = { 1: ['resourceSpans', RESOURCE_SPANS, 'repeated'] };

const WIRE_OF: Record<Scalar, number> = { string: 2, bytes: 2, hex: 2, uint: 0, int64: 0, bool: 0, fixed64: 1, double: 1, fixed32: 5 };

function scalar(type: Scalar, f: Field): unknown {
  switch (type) {
    case 'string':
      return utf8(f.value as Uint8Array);
    case 'bytes':
      return Uint8Array.from(f.value as Uint8Array);
    case 'hex':
      return hex(f.value as Uint8Array);
    case 'uint':
      return Number(f.value);
    case 'int64':
      return BigInt.asIntN(64, f.value as bigint);
    case 'bool':
      return (f.value as bigint) !== 0n;
    case 'fixed64':
      return f.value as bigint;
    case 'fixed32':
      return f.value as number;
    case 'double': {
      const b = new DataView(new ArrayBuffer(8));
      b.setBigUint64(0, f.value as bigint, true);
      return b.getFloat64(0, true);
    }
  }
}

/** One AnyValue: its value, or `{ empty: true }` for an AnyValue with no value set. */
function anyValue(buf: Uint8Array): unknown {
  let out: unknown = { empty: true };
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        out = utf8(f.value as Uint8Array);
        break;
      case 2:
        out = (f.value as bigint) !== 0n;
        break;
      case 3:
        out = { int: BigInt.asIntN(64, f.value as bigint) };
        break;
      case 4:
        out = { double: scalar('double', f) };
        break;
      case 5:
        out = [...fields(f.value as Uint8Array)].map((x) => {
          if (x.no !== 1) throw new Error(`ArrayValue field ${x.no}`);
          return anyValue(x.value as Uint8Array);
        });
        break;
      case 6:
        out = { kvlist: [...fields(f.value as Uint8Array)].map((x) => decode(KEY_VALUE, x.value as Uint8Array)) };
        break;
      case 7:
        out = { bytes: Uint8Array.from(f.value as Uint8Array) };
        break;
      default:
        throw new Error(`AnyValue field ${f.no}`);
    }
  }
  return out;
}

function decode(schema: Schema, buf: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of Object.values(schema)) if (spec[2] === 'repeated') out[spec[0]] = [];
  for (const f of fields(buf)) {
    const spec = schema[f.no];
    if (spec === undefined) throw new Error(`unknown field ${f.no}`);
    const [name, type, repeated] = spec;
    let value: unknown;
    if ((type as unknown) === ANY_VALUE) value = anyValue(f.value as Uint8Array);
    else if (typeof type === 'string') {
      if (f.wire !== WIRE_OF[type]) throw new Error(`field ${name}: wire type ${f.wire}, expected ${WIRE_OF[type]}`);
      value = scalar(type, f);
    } else {
      if (f.wire !== 2) throw new Error(`field ${name}: wire type ${f.wire}, expected a message`);
      value = decode(type, f.value as Uint8Array);
    }
    if (repeated) (out[name] as unknown[]).push(value);
    else out[name] = value;
  }
  return out;
}

/** Every field of an ExportTraceServiceRequest, as a plain tree. */
export function decodeExportRequest(body: Uint8Array): Record<string, unknown> {
  return decode(EXPORT_REQUEST, body);
}

/** A JavaScript value of an attribute, from the tree's AnyValue (ints as numbers). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const v = value as { int?: bigint; double?: number; empty?: boolean; kvlist?: Array<{ key: string; value: unknown }>; bytes?: Uint8Array };
    if (v.int !== undefined) return Number(v.int);
    if (v.double !== undefined) return v.double;
    if (v.empty) return undefined;
    if (v.kvlist) return Object.fromEntries(v.kvlist.map((kv) => [kv.key, plain(kv.value)]));
    if (v.bytes) return v.bytes;
  }
  return value;
}

function keyValues(list: Array<{ key: string; value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, plain(kv.value)]));
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

type Tree = Record<string, unknown>;

/** Decodes an ExportTraceServiceRequest into its spans. */
export function decodeTraceRequest(body: Uint8Array): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const rs of decodeExportRequest(body).resourceSpans as Tree[]) {
    const resource = keyValues(((rs.resource as Tree | undefined)?.attributes ?? []) as Array<{ key: string; value: unknown }>);
    for (const ss of rs.scopeSpans as Tree[]) {
      const scope = ((ss.scope as Tree | undefined)?.name as string | undefined) ?? '';
      for (const s of ss.spans as Tree[]) {
        const status = (s.status as Tree | undefined) ?? {};
        spans.push({
          traceId: (s.traceId as string | undefined) ?? '',
          spanId: (s.spanId as string | undefined) ?? '',
          parentSpanId: (s.parentSpanId as string | undefined) ?? '',
          name: (s.name as string | undefined) ?? '',
          kind: (s.kind as number | undefined) ?? 0,
          attributes: keyValues(s.attributes as Array<{ key: string; value: unknown }>),
          status: {
            ...(status.message !== undefined ? { message: status.message as string } : {}),
            ...(status.code !== undefined ? { code: status.code as number } : {}),
          },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

const LOG_RECORD: Schema = {
  1: ['timeUnixNano', 'fixed64'],
  2: ['severityNumber', 'uint'],
  3: ['severityText', 'string'],
  5: ['body', ANY_VALUE as unknown as Schema],
  6: ['attributes', KEY_VALUE, 'repeated'],
  7: ['droppedAttributesCount', 'uint'],
  8: ['flags', 'fixed32'],
  9: ['traceId', 'hex'],
  10: ['spanId', 'hex'],
  11: ['observedTimeUnixNano', 'fixed64'],
  12: ['eventName', 'string'],
};
const SCOPE_LOGS: Schema = { 1: ['scope', SCOPE], 2: ['logRecords', LOG_RECORD, 'repeated'], 3: ['schemaUrl', 'string'] };
const RESOURCE_LOGS: Schema = { 1: ['resource', RESOURCE], 2: ['scopeLogs', SCOPE_LOGS, 'repeated'], 3: ['schemaUrl', 'string'] };
const EXPORT_LOGS_REQUEST: Schema = { 1: ['resourceLogs', RESOURCE_LOGS, 'repeated'] };

/** A log record decoded from protobuf (or OTLP JSON, see otlp-receiver.ts), values as plain JavaScript. */
export interface DecodedLogRecord {
  timeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string;
  spanId: string;
  resource: Record<string, unknown>;
  scope: string;
}

/** Decodes an ExportLogsServiceRequest into its log records. */
export function decodeLogsRequest(body: Uint8Array): DecodedLogRecord[] {
  const records: DecodedLogRecord[] = [];
  for (const rl of decode(EXPORT_LOGS_REQUEST, body).resourceLogs as Tree[]) {
    const resource = keyValues(((rl.resource as Tree | undefined)?.attributes ?? []) as Array<{ key: string; value: unknown }>);
    for (const sl of rl.scopeLogs as Tree[]) {
      const scope = ((sl.scope as Tree | undefined)?.name as string | undefined) ?? '';
      for (const r of sl.logRecords as Tree[]) {
        records.push({
          timeUnixNano: (r.timeUnixNano as bigint | undefined) ?? 0n,
          severityNumber: (r.severityNumber as number | undefined) ?? 0,
          severityText: (r.severityText as string | undefined) ?? '',
          body: plain(r.body),
          attributes: keyValues(r.attributes as Array<{ key: string; value: unknown }>),
          traceId: (r.traceId as string | undefined) ?? '',
          spanId: (r.spanId as string | undefined) ?? '',
          resource,
          scope,
        });
      }
    }
  }
  return records;
}
