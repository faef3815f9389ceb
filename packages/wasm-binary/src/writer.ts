import type { LebHints } from './reader.js';
import { lebS64Size, lebU32Size, lebU64Size } from './reader.js';

const utf8 = new TextEncoder();

/**
 * A growable byte buffer with LEB128 writers. When given `LebHints`, each LEB is written at the
 * width the original binary used, so that decode followed by encode is the identity.
 */
export class BinaryWriter {
  private buf: Uint8Array;
  length = 0;
  private lebOrdinal = 0;
  private hints: LebHints | undefined;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Replays `hints` for the LEBs written from now on (one unit: a section or a body). */
  useHints(hints: LebHints | undefined): void {
    this.hints = hints;
    this.lebOrdinal = 0;
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** The padded width for the next LEB, if the original used one (never narrower than the value needs). */
  private width(): number | undefined {
    const ordinal = this.lebOrdinal++;
    return this.hints?.get(ordinal);
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  u32(v: number): void {
    v >>>= 0;
    const hinted = this.width();
    const width = hinted === undefined ? undefined : Math.max(hinted, lebU32Size(v));
    this.ensure(5);
    if (width === undefined) {
      do {
        let b = v & 0x7f;
        v >>>= 7;
        if (v !== 0) b |= 0x80;
        this.buf[this.length++] = b;
      } while (v !== 0);
      return;
    }
    for (let i = 0; i < width; i++) {
      let b = v & 0x7f;
      v >>>= 7;
      if (i < width - 1) b |= 0x80;
      this.buf[this.length++] = b;
    }
  }

  s32(v: number): void {
    this.signed(BigInt(v | 0));
  }

  s33(v: number): void {
    this.signed(BigInt(v));
  }

  s64(v: bigint): void {
    this.signed(BigInt.asIntN(64, v));
  }

  u64(v: bigint): void {
    const hinted = this.width();
    const width = hinted === undefined ? undefined : Math.max(hinted, lebU64Size(v));
    this.ensure(10);
    let i = 0;
    for (;;) {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      i++;
      const more = width === undefined ? v !== 0n : i < width;
      if (more) b |= 0x80;
      this.buf[this.length++] = b;
      if (!more) return;
    }
  }

  private signed(v: bigint): void {
    const hinted = this.width();
    const width = hinted === undefined ? undefined : Math.max(hinted, lebS64Size(v));
    this.ensure(10);
    let i = 0;
    for (;;) {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      i++;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      const more = width === undefined ? !done : i < width;
      if (more) b |= 0x80;
      this.buf[this.length++] = b;
      if (!more) return;
    }
  }

  /** Fast path for small signed values, the common case for i32.const immediates. */
  s32Small(v: number): void {
    if (this.hints === undefined && v >= -64 && v < 64) {
      this.lebOrdinal++;
      this.u8(v & 0x7f);
      return;
    }
    this.s32(v);
  }

  name(s: string): void {
    const data = utf8.encode(s);
    this.u32(data.length);
    this.bytes(data);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** The bytes written so far, without copying; valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
