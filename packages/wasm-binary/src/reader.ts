import { WasmDecodeError } from './errors.js';

/**
 * Non-canonical LEB128 widths seen while decoding one unit (a section or a function body),
 * keyed by the ordinal of the LEB within that unit. The encoder replays them so that a decoded,
 * unchanged module re-encodes to the identical bytes; a changed unit simply drops its hints.
 */
export type LebHints = Map<number, number>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A bounds-checked cursor over wasm bytes. Every read checks `end` first, so hostile input can only
 * produce a `WasmDecodeError`, never an out-of-range read.
 */
export class BinaryReader {
  pos: number;
  /** Ordinal of the next LEB read, for `LebHints`. */
  lebOrdinal = 0;
  hints: LebHints | undefined;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    public end = bytes.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(expected: string, detail?: string, offset = this.pos): never {
    const ranOut = detail === 'unexpected end' || /^only \d+ (bytes )?left$/.test(detail ?? '');
    throw new WasmDecodeError(offset, expected, detail, ranOut && this.end >= this.bytes.length);
  }

  /** Starts recording non-canonical LEB widths into a fresh map, returned by `takeHints`. */
  beginHints(): void {
    this.lebOrdinal = 0;
    this.hints = undefined;
  }

  takeHints(): LebHints | undefined {
    const h = this.hints;
    this.hints = undefined;
    return h;
  }

  private noteWidth(width: number, canonical: number): void {
    const ordinal = this.lebOrdinal++;
    if (width !== canonical) {
      this.hints ??= new Map();
      this.hints.set(ordinal, width);
    }
  }

  u8(what = 'a byte'): number {
    if (this.pos >= this.end) this.fail(what, 'unexpected end');
    return this.bytes[this.pos++] as number;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('a byte', 'unexpected end');
    return this.bytes[this.pos] as number;
  }

  take(n: number, what = 'bytes'): Uint8Array {
    if (n < 0 || n > this.end - this.pos) this.fail(`${n} ${what}`, `only ${this.end - this.pos} left`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Unsigned LEB128 of at most 32 bits. */
  u32(what = 'a u32'): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail(what, 'unexpected end', start);
      const b = this.bytes[this.pos++] as number;
      if (shift === 28) {
        if (b & 0xf0) this.fail(what, 'integer representation too long or too large', start);
        result = (result | (b << 28)) >>> 0;
        break;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    result >>>= 0;
    this.noteWidth(this.pos - start, lebU32Size(result));
    return result;
  }

  /** Signed LEB128 of at most 32 bits. */
  s32(what = 'an i32'): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    let b: number;
    for (;;) {
      if (this.pos >= this.end) this.fail(what, 'unexpected end', start);
      b = this.bytes[this.pos++] as number;
      if (shift === 28) {
        // Remaining bits must be a sign extension of bit 31.
        if (b & 0x80 || (b & 0x70) !== (b & 0x08 ? 0x70 : 0)) {
          this.fail(what, 'integer representation too long or too large', start);
        }
        result |= b << 28;
        break;
      }
      result |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (shift < 32 && b & 0x40) result |= -1 << shift;
        break;
      }
    }
    result |= 0;
    this.noteWidth(this.pos - start, lebS32Size(result));
    return result;
  }

  /** Signed LEB128 of at most 33 bits (block types, heap types); returned as a number. */
  s33(what = 'an s33'): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    let b: number;
    let i = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail(what, 'unexpected end', start);
      b = this.bytes[this.pos++] as number;
      if (i === 4) {
        // 5th byte carries bits 28..32; bits above must sign-extend bit 32.
        if (b & 0x80 || (b & 0x60) !== (b & 0x10 ? 0x60 : 0)) {
          this.fail(what, 'integer representation too long or too large', start);
        }
        result += (b & 0x1f) * mul;
        if (b & 0x10) result -= 2 ** 33;
        break;
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      i++;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul;
        break;
      }
    }
    this.noteWidth(this.pos - start, lebS64Size(BigInt(result)));
    return result;
  }

  /** Unsigned LEB128 of at most 64 bits (memory64 offsets and limits). */
  u64(what = 'a u64'): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail(what, 'unexpected end', start);
      const b = this.bytes[this.pos++] as number;
      if (i === 9) {
        if (b & 0xfe) this.fail(what, 'integer representation too long or too large', start);
        result |= BigInt(b) << 63n;
        break;
      }
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    this.noteWidth(this.pos - start, lebU64Size(result));
    return result;
  }

  /** Signed LEB128 of at most 64 bits. */
  s64(what = 'an i64'): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail(what, 'unexpected end', start);
      const b = this.bytes[this.pos++] as number;
      if (i === 9) {
        if (b !== 0 && b !== 0x7f) this.fail(what, 'integer representation too long or too large', start);
        if (b & 1) result |= -1n << 63n;
        break;
      }
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 1n << shift;
        break;
      }
    }
    result = BigInt.asIntN(64, result);
    this.noteWidth(this.pos - start, lebS64Size(result));
    return result;
  }

  name(what = 'a name'): string {
    const len = this.u32(`${what} length`);
    const start = this.pos;
    const raw = this.take(len, what);
    try {
      return utf8.decode(raw);
    } catch {
      this.fail(`${what} in UTF-8`, 'malformed UTF-8 encoding', start);
    }
  }

  /** Reads a vector count, rejecting counts that cannot fit in the remaining bytes. */
  count(what: string, minItemBytes = 1): number {
    const start = this.pos;
    const n = this.u32(`${what} count`);
    if (n * minItemBytes > this.end - this.pos) {
      this.fail(`${what} count`, `${n} items cannot fit in the ${this.end - this.pos} bytes left`, start);
    }
    return n;
  }
}

export function lebU32Size(v: number): number {
  v >>>= 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

export function lebS32Size(v: number): number {
  let size = 1;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return size;
    size++;
  }
}

export function lebU64Size(v: bigint): number {
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

export function lebS64Size(v: bigint): number {
  let size = 1;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) return size;
    size++;
  }
}
