import type { OutputOptions } from './options.js';

export const DEFAULT_OUTPUT_CAP = 1024 * 1024;
/** Shared by every sink until its first write: most runs print little or nothing. */
const EMPTY = new Uint8Array(0);

/** What a guest wrote to stdout or stderr. */
export interface CapturedOutput {
  /** The first `maxBytes` bytes written. */
  bytes: Uint8Array;
  /** Every byte written, kept or not. */
  totalBytes: number;
  /** True when `totalBytes` exceeds what was kept. */
  truncated: boolean;
}

/** A capped capture buffer for one output stream, with an optional streaming callback. */
export class OutputSink {
  private buf = EMPTY;
  private kept = 0;
  total = 0;
  private readonly cap: number;
  private readonly onData: ((chunk: Uint8Array) => void) | undefined;
  private readonly onWrite: ((view: Uint8Array) => void) | undefined;

  constructor(options: OutputOptions | undefined) {
    this.cap = options?.maxBytes ?? DEFAULT_OUTPUT_CAP;
    this.onData = options?.onData;
    this.onWrite = options?.onWrite;
  }

  write(chunk: Uint8Array): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room > 0) {
      const n = Math.min(room, chunk.length);
      if (this.kept + n > this.buf.length) {
        const grown = new Uint8Array(Math.min(this.cap, Math.max(this.kept + n, this.buf.length * 2, 256)));
        grown.set(this.buf.subarray(0, this.kept));
        this.buf = grown;
      }
      this.buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.kept);
      this.kept += n;
    }
    this.onWrite?.(chunk);
    this.onData?.(chunk.slice());
  }

  /** A view, not a copy: bytes below `kept` are never written again, so the view stays as it was. */
  snapshot(): CapturedOutput {
    return { bytes: this.buf.subarray(0, this.kept), totalBytes: this.total, truncated: this.total > this.kept };
  }
}
