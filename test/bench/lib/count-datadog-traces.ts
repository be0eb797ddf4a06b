/** What one Datadog agent payload holds. */
export interface DatadogTraceCount {
  readonly traces: number;
  /** Traces whose first (root) span is of type "web": one per traced request. */
  readonly webTraces: number;
  readonly spans: number;
}

/**
 * Counts traces and spans in a msgpack trace payload as dd-trace sends it to the Datadog
 * agent, walking the framing only. v0.4: an array of traces, each an array of spans (maps).
 * v0.5: [string table, traces], each trace an array of spans (arrays). Beyond the framing it
 * reads only the root span's "type", so traces of dd-trace's own DNS lookups do not pass for
 * requests.
 */
export function countDatadogTraces(buf: Uint8Array, version: '0.4' | '0.5'): DatadogTraceCount {
  let pos = 0;
  let strings: Array<string | undefined> = [];
  if (version === '0.5') {
    const [items, afterHeader] = readArrayHeader(buf, 0);
    if (items !== 2) throw new Error(`v0.5 payload: expected [strings, traces], got an array of ${items}`);
    const [count, afterTableHeader] = readArrayHeader(buf, afterHeader);
    pos = afterTableHeader;
    strings = [];
    for (let i = 0; i < count; i++) {
      strings.push(readString(buf, pos));
      pos = skipValue(buf, pos);
    }
  }
  const [traces, afterTraces] = readArrayHeader(buf, pos);
  pos = afterTraces;
  let spans = 0;
  let webTraces = 0;
  for (let t = 0; t < traces; t++) {
    const [count, afterTrace] = readArrayHeader(buf, pos);
    pos = afterTrace;
    spans += count;
    if (count > 0 && (version === '0.4' ? spanType(buf, pos) : spanTypeV05(buf, pos, strings)) === 'web') webTraces++;
    for (let s = 0; s < count; s++) pos = skipValue(buf, pos);
  }
  if (pos !== buf.length) throw new Error(`msgpack payload has ${buf.length - pos} bytes after its traces`);
  return { traces, webTraces, spans };
}

/** The "type" of the v0.4 span (a map) at `pos`, when it is a string. */
function spanType(buf: Uint8Array, pos: number): string | undefined {
  const b = byteAt(buf, pos);
  let entries: number;
  if (b >= 0x80 && b <= 0x8f) [entries, pos] = [b & 0x0f, pos + 1];
  else if (b === 0xde) [entries, pos] = [readUint(buf, pos + 1, 2), pos + 3];
  else if (b === 0xdf) [entries, pos] = [readUint(buf, pos + 1, 4), pos + 5];
  else return undefined;
  for (let i = 0; i < entries; i++) {
    const key = readString(buf, pos);
    pos = skipValue(buf, pos);
    if (key === 'type') return readString(buf, pos);
    pos = skipValue(buf, pos);
  }
  return undefined;
}

/** The type of the v0.5 span (an array whose 12th item indexes the string table) at `pos`. */
function spanTypeV05(buf: Uint8Array, pos: number, strings: Array<string | undefined>): string | undefined {
  const [items, first] = readArrayHeader(buf, pos);
  if (items < 12) return undefined;
  pos = first;
  for (let i = 0; i < 11; i++) pos = skipValue(buf, pos);
  const b = byteAt(buf, pos);
  const index = b <= 0x7f ? b : b === 0xcc ? readUint(buf, pos + 1, 1) : b === 0xcd ? readUint(buf, pos + 1, 2) : b === 0xce ? readUint(buf, pos + 1, 4) : -1;
  return strings[index];
}

const utf8 = new TextDecoder();

/** The msgpack string at `pos`, or undefined when the value there is not a string. */
function readString(buf: Uint8Array, pos: number): string | undefined {
  const b = byteAt(buf, pos);
  let start: number;
  let length: number;
  if (b >= 0xa0 && b <= 0xbf) [start, length] = [pos + 1, b & 0x1f];
  else if (b === 0xd9) [start, length] = [pos + 2, readUint(buf, pos + 1, 1)];
  else if (b === 0xda) [start, length] = [pos + 3, readUint(buf, pos + 1, 2)];
  else if (b === 0xdb) [start, length] = [pos + 5, readUint(buf, pos + 1, 4)];
  else return undefined;
  if (start + length > buf.length) throw new Error('truncated msgpack string');
  return utf8.decode(buf.subarray(start, start + length));
}

function readArrayHeader(buf: Uint8Array, pos: number): [number, number] {
  const b = byteAt(buf, pos);
  if (b >= 0x90 && b <= 0x9f) return [b & 0x0f, pos + 1];
  if (b === 0xdc) return [readUint(buf, pos + 1, 2), pos + 3];
  if (b === 0xdd) return [readUint(buf, pos + 1, 4), pos + 5];
  throw new Error(`expected a msgpack array at ${pos}, found 0x${b.toString(16)}`);
}

/** The position after the msgpack value that starts at `pos`. */
function skipValue(buf: Uint8Array, pos: number): number {
  const b = byteAt(buf, pos);
  if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3)) return pos + 1; // fixint, nil, booleans
  if (b >= 0xa0 && b <= 0xbf) return pos + 1 + (b & 0x1f); // fixstr
  if (b >= 0x90 && b <= 0x9f) return skipValues(buf, pos + 1, b & 0x0f); // fixarray
  if (b >= 0x80 && b <= 0x8f) return skipValues(buf, pos + 1, 2 * (b & 0x0f)); // fixmap
  switch (b) {
    case 0xc4: case 0xd9: return pos + 2 + readUint(buf, pos + 1, 1); // bin8, str8
    case 0xc5: case 0xda: return pos + 3 + readUint(buf, pos + 1, 2); // bin16, str16
    case 0xc6: case 0xdb: return pos + 5 + readUint(buf, pos + 1, 4); // bin32, str32
    case 0xc7: return pos + 3 + readUint(buf, pos + 1, 1); // ext8: size, type, data
    case 0xc8: return pos + 4 + readUint(buf, pos + 1, 2);
    case 0xc9: return pos + 6 + readUint(buf, pos + 1, 4);
    case 0xcc: case 0xd0: return pos + 2; // uint8, int8
    case 0xcd: case 0xd1: return pos + 3;
    case 0xca: case 0xce: case 0xd2: return pos + 5; // float32, uint32, int32
    case 0xcb: case 0xcf: case 0xd3: return pos + 9; // float64, uint64, int64
    case 0xd4: return pos + 3; // fixext1..16: type + data
    case 0xd5: return pos + 4;
    case 0xd6: return pos + 6;
    case 0xd7: return pos + 10;
    case 0xd8: return pos + 18;
    case 0xdc: return skipValues(buf, pos + 3, readUint(buf, pos + 1, 2)); // array16
    case 0xdd: return skipValues(buf, pos + 5, readUint(buf, pos + 1, 4)); // array32
    case 0xde: return skipValues(buf, pos + 3, 2 * readUint(buf, pos + 1, 2)); // map16
    case 0xdf: return skipValues(buf, pos + 5, 2 * readUint(buf, pos + 1, 4)); // map32
    default: throw new Error(`invalid msgpack byte 0x${b.toString(16)} at ${pos}`);
  }
}

function skipValues(buf: Uint8Array, pos: number, count: number): number {
  for (let i = 0; i < count; i++) pos = skipValue(buf, pos);
  return pos;
}

function readUint(buf: Uint8Array, pos: number, bytes: number): number {
  let value = 0;
  for (let i = 0; i < bytes; i++) value = value * 256 + byteAt(buf, pos + i);
  return value;
}

function byteAt(buf: Uint8Array, pos: number): number {
  if (pos >= buf.length) throw new Error('truncated msgpack payload');
  return buf[pos];
}
