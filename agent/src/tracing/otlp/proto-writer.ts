/**
 * A protobuf wire-format writer over one growable `Buffer`, reused from message to
 * message. Each primitive writes in place (no intermediate object, no second pass
 * for sizes): a length-delimited field reserves the bytes its length usually needs
 * and moves its content only when the length turns out to need more or fewer.
 * The encodings are OpenTelemetry's own (`@opentelemetry/otlp-transformer`'s
 * `ProtobufWriter`): negative varints in ten bytes, times as fixed64 nanoseconds,
 * strings as UTF-8 with a lone surrogate written as U+FFFD.
 */
import type { HrTime } from '@opentelemetry/api';

type Utf8Buffer = Buffer & {
  utf8Write(text: string, offset: number, length: number): number;
  hexWrite(text: string, offset: number, length: number): number;
};

const TWO_32 = 4294967296;
/** A trace or span id as OpenTelemetry writes them. */
const HEX_ID = /^(?:[0-9a-fA-F]{16}){1,2}$/;

/** How many bytes the varint of a non-negative length takes. */
function lengthSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** A reused protobuf output buffer. */
export class ProtoWriter {
  buf: Utf8Buffer;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize) as Utf8Buffer;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size) as Utf8Buffer;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written since `start`, copied out. */
  copy(start = 0): Buffer {
    return Buffer.from(this.buf.subarray(start, this.pos));
  }

  /** A field key: field number and wire type. */
  tag(field: number, wire: number): void {
    const key = (field << 3) | wire;
    if (key < 128) {
      if (this.pos >= this.buf.length) this.grow(1);
      this.buf[this.pos++] = key;
    } else this.varint(key);
  }

  /** A varint; negative numbers as 64-bit two's complement in ten bytes, as OpenTelemetry writes them. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_32) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / TWO_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 127;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.uint32(value >>> 0);
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.uint32(low >>> 0);
    this.uint32(high >>> 0);
  }

  /** Four bytes, little-endian; the caller made room. */
  private uint32(v: number): void {
    const buf = this.buf;
    buf[this.pos++] = v & 255;
    buf[this.pos++] = (v >>> 8) & 255;
    buf[this.pos++] = (v >>> 16) & 255;
    buf[this.pos++] = v >>> 24;
  }

  /** `[seconds, nanoseconds]` as fixed64 nanoseconds since the epoch, without BigInt. */
  hrTime(time: HrTime): void {
    const seconds = time[0];
    const nanos = time[1];
    // seconds * 1e9 + nanos exceeds 2^53: split the seconds so each product stays exact.
    const lowSeconds = seconds & 0xffff;
    const highSeconds = (seconds / 0x10000) >>> 0;
    const fromLow = lowSeconds * 1e9;
    const fromHigh = highSeconds * 1e9;
    const low = (fromLow >>> 0) + ((((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos);
    const high = Math.floor(fromLow / TWO_32) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / TWO_32);
    this.fixed64(low >>> 0, high >>> 0);
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /**
   * A length-delimited UTF-8 string. What is not a string (a span named 42, a scope
   * version 5) is written as OpenTelemetry's serializer writes it: empty (its
   * `writeString` reads the length of a number or a plain object as 0).
   */
  string(value: string): void {
    const v: unknown = value;
    const text: string = typeof v === 'string' ? v : v instanceof String ? v.valueOf() : '';
    const length = text.length;
    if (length < 128) {
      // Most strings are short ASCII: copy the char codes behind a one-byte length.
      this.ensure(length + 1);
      const buf = this.buf;
      let p = this.pos + 1;
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 127) return this.utf8(text);
        buf[p++] = c;
      }
      buf[this.pos] = length;
      this.pos = p;
      return;
    }
    this.utf8(text);
  }

  private utf8(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.utf8Write(text, this.pos, bytes);
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /**
   * A hex id (trace or span id) as length-delimited bytes, read as OpenTelemetry's
   * `hexToBinary` reads it, whatever it holds: a pair of hex digits is its byte, any other
   * character takes that function's arithmetic on its char code (kept to 8 bits), an odd
   * last character is left out, and what is not a string is no bytes.
   */
  hexBytes(id: string): void {
    const hex = typeof id === 'string' ? id : '';
    const n = hex.length >>> 1;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    // Node's hex decoder reads a character beyond Latin-1 by its low byte ("ı", U+0131,
    // as "1"): only an id of ASCII hex digits takes it.
    if ((n === 16 || n === 8) && (hex.length & 1) === 0 && HEX_ID.test(hex)) {
      buf.hexWrite(hex, this.pos, n);
      this.pos += n;
      return;
    }
    for (let i = 0; i < n; i++) buf[this.pos++] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
  }

  /** Raw bytes already encoded elsewhere. */
  raw(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    this.buf.set(source.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** Reserves `reserve` bytes for the length of the message written next; returns where it starts. */
  begin(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of the message begun at `at`, moving its content if the length needs other than `reserve` bytes. */
  end(at: number, reserve: number): void {
    const contentStart = at + reserve;
    const length = this.pos - contentStart;
    const size = lengthSize(length);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(at + size, contentStart, this.pos);
      this.pos += size - reserve;
    }
    let v = length;
    let p = at;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
  }
}

/** One hex digit, with OpenTelemetry's arithmetic for anything that is not one (`hex-to-binary.ts`). */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return code - 55;
}
