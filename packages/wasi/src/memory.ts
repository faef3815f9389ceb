/** Raised when the guest passes a pointer range outside its memory; the witx docs say such a call traps. */
export class WasiMemoryFault extends Error {
  constructor(
    readonly ptr: number,
    readonly len: number,
  ) {
    super(`guest memory access out of bounds: ${len} bytes at ${ptr}`);
    this.name = 'WasiMemoryFault';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Typed access to the guest's linear memory. The views are rebuilt whenever the memory has grown
 * (its ArrayBuffer is replaced), so callers take them fresh per call and never keep them.
 */
export class GuestMemory {
  private dv: DataView;
  private u8: Uint8Array;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  /**
   * `memory.buffer` is a slow accessor, so the views are kept until they can be stale: growth
   * detaches a non-shared buffer (length 0) and lengthens a shared one (a bounds miss).
   */
  private refresh(): void {
    const b = this.memory.buffer;
    this.dv = new DataView(b);
    this.u8 = new Uint8Array(b);
  }

  check(ptr: number, len: number): void {
    if (ptr + len > this.u8.length || this.u8.length === 0) {
      this.refresh();
      if (ptr + len > this.u8.length) throw new WasiMemoryFault(ptr, len);
    }
  }

  /** Bytes of guest memory (a view, valid until the guest next grows its memory). */
  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.u8.subarray(ptr, ptr + len);
  }

  view(ptr: number, len: number): DataView {
    this.check(ptr, len);
    return this.dv;
  }

  u32(ptr: number): number {
    return this.view(ptr, 4).getUint32(ptr, true);
  }

  setU8(ptr: number, v: number): void {
    this.view(ptr, 1).setUint8(ptr, v);
  }

  setU16(ptr: number, v: number): void {
    this.view(ptr, 2).setUint16(ptr, v, true);
  }

  setU32(ptr: number, v: number): void {
    this.view(ptr, 4).setUint32(ptr, v, true);
  }

  setU64(ptr: number, v: bigint): void {
    this.view(ptr, 8).setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** Decodes a guest string; invalid UTF-8 yields `undefined` (the caller answers ILSEQ). */
  string(ptr: number, len: number): string | undefined {
    const raw = this.bytes(ptr, len);
    if (len <= 64) {
      // Short ASCII names (nearly every path) skip TextDecoder, which costs more than the call.
      let ascii = true;
      for (let i = 0; i < len; i++) if ((raw[i] as number) > 0x7f) ascii = false;
      if (ascii) return String.fromCharCode.apply(null, raw as unknown as number[]);
    }
    try {
      return decoder.decode(raw);
    } catch {
      return undefined;
    }
  }

  /** The iovec array at `iovs`: `[ptr, len]` pairs, bounds-checked. */
  iovecs(iovs: number, count: number): Array<[number, number]> {
    this.check(iovs, count * 8);
    const out: Array<[number, number]> = new Array(count);
    for (let i = 0; i < count; i++) {
      const ptr = this.dv.getUint32(iovs + i * 8, true);
      const len = this.dv.getUint32(iovs + i * 8 + 4, true);
      this.check(ptr, len);
      out[i] = [ptr, len];
    }
    return out;
  }
}

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}
