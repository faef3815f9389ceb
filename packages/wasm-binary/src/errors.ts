/** A binary that does not follow the WebAssembly binary format, with the byte offset where decoding stopped. */
export class WasmDecodeError extends Error {
  override readonly name = 'WasmDecodeError';
  constructor(
    /** Offset of the first byte that could not be decoded, from the start of the binary. */
    readonly offset: number,
    /** What the decoder expected at that offset, in plain words. */
    readonly expected: string,
    /** Why, when more can be said than what was expected. */
    readonly detail?: string,
    /** True when decoding ran into the end of the whole input (a file cut short), not of a section or body. */
    readonly endOfInput = false,
  ) {
    super(`at byte ${offset}: expected ${expected}${detail ? ` (${detail})` : ''}`);
  }
}
