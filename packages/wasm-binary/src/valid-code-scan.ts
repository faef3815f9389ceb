import * as masks from './feature-masks.js';
import { valTypeFeatures } from './features.js';
import { VALID_CODE_SCAN_WASM } from './generated/valid-code-scan-wasm.js';
import type { Feature } from './opcodes.js';
import { FEAT1, featureBit, KIND1, SUB_FEAT, SUB_KIND } from './opcodes.js';
import { ValTypeCode } from './types.js';

/** What `scanValidCode` gathers from a code section. */
export interface ValidCodeScan {
  /** Number of function bodies. */
  bodies: number;
  instructions: number;
  /** Features used, as a mask over `FEATURES` (locals included). */
  featureMask: number;
}

/** The exports of assembly/valid-code-scan.ts. */
interface ScannerExports {
  memory: WebAssembly.Memory;
  ENTRY: WebAssembly.Global;
  SUB_ENTRY: WebAssembly.Global;
  VALTYPE_MASK: WebAssembly.Global;
  LOCAL_TYPE_MASK: WebAssembly.Global;
  FEATURE_BITS: WebAssembly.Global;
  SUB_LIMIT: WebAssembly.Global;
  instructions: WebAssembly.Global;
  featureMask: WebAssembly.Global;
  inputAt(): number;
  scanCode(length: number): number;
}

/** The features that immediates add, in the order of the scanner's `BIT_` constants. */
export const SCANNER_FEATURE_SLOTS: readonly Feature[] = [
  'multi-value',
  'multi-memory',
  'memory64',
  'reference-types',
  'function-references',
  'gc',
  'exception-handling',
];
/** Zero bytes written after the input: they end any LEB128 the walk starts near the end. */
const GUARD_BYTES = 64;
/** Larger code sections get an instance of their own, so that its memory is freed afterwards. */
const SHARED_INSTANCE_LIMIT = 16 * 1024 * 1024;
const PAGE = 65536;

let compiled: WebAssembly.Module | undefined;
let shared: ScannerInstance | undefined;

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function maskOf(collect: (features: Set<Feature>) => void): number {
  const features = new Set<Feature>();
  collect(features);
  return masks.featureMaskOf(features);
}

/** The scanner's tables, from the opcode table and the feature helpers that the checking walk uses. */
function writeTables(e: ScannerExports): void {
  const words = (at: WebAssembly.Global, length: number) =>
    new Uint32Array(e.memory.buffer, at.value as number, length);
  const entry = words(e.ENTRY, 256);
  for (let b = 0; b < 256; b++) entry[b] = (KIND1[b] as number) | ((FEAT1[b] as number) << 8);
  const subLimit = e.SUB_LIMIT.value as number;
  const sub = words(e.SUB_ENTRY, SUB_KIND.length * subLimit);
  SUB_KIND.forEach((kinds, prefix) => {
    if (kinds.length > subLimit) throw new RangeError(`the scanner has room for ${subLimit} sub-opcodes per prefix`);
    const feats = SUB_FEAT[prefix] as Uint32Array;
    kinds.forEach((kind, op) => {
      sub[prefix * subLimit + op] = kind | ((feats[op] as number) << 8);
    });
  });
  words(e.VALTYPE_MASK, 128).set(masks.VALTYPE_MASK);
  const local = words(e.LOCAL_TYPE_MASK, 128).fill(0xffffffff);
  for (const code of Object.values(ValTypeCode)) local[code] = maskOf((f) => valTypeFeatures(code, f));
  words(e.FEATURE_BITS, SCANNER_FEATURE_SLOTS.length).set(SCANNER_FEATURE_SLOTS.map(featureBit));
}

class ScannerInstance {
  private readonly exports: ScannerExports;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module).exports as unknown as ScannerExports;
    writeTables(this.exports);
  }

  scan(bytes: Uint8Array, start: number, end: number): ValidCodeScan | undefined {
    const e = this.exports;
    const length = end - start;
    const input = e.inputAt();
    const needed = Math.ceil((input + length + GUARD_BYTES) / PAGE) - e.memory.buffer.byteLength / PAGE;
    try {
      if (needed > 0) e.memory.grow(needed);
    } catch (error) {
      // Out of memory for the copy: the checking walk reads the bytes where they are.
      if (error instanceof RangeError) return undefined;
      throw error;
    }
    const memory = new Uint8Array(e.memory.buffer);
    memory.set(bytes.subarray(start, end), input);
    memory.fill(0, input + length, input + length + GUARD_BYTES);
    let bodies: number;
    try {
      bodies = e.scanCode(length);
    } catch (error) {
      // Only input the engine would have refused can send the walk out of its memory.
      if (error instanceof WebAssembly.RuntimeError) return undefined;
      throw error;
    }
    if (bodies < 0) return undefined;
    return { bodies, instructions: (e.instructions.value as number) >>> 0, featureMask: e.featureMask.value as number };
  }
}

/**
 * Walks a code section (`start` to `end`: the payload) that the engine has already validated, and
 * gathers what `scanExpression` reports besides validity: features and instruction counts. The walk
 * runs as WebAssembly (assembly/valid-code-scan.ts) and skips the nesting checks and the error
 * reporting. On anything the engine should not have accepted, or the checking walk would not, it
 * returns undefined and the caller runs the checking walk, which then reports the problem.
 */
export function scanValidCode(bytes: Uint8Array, start: number, end: number): ValidCodeScan | undefined {
  compiled ??= new WebAssembly.Module(base64Bytes(VALID_CODE_SCAN_WASM));
  if (end - start > SHARED_INSTANCE_LIMIT) return new ScannerInstance(compiled).scan(bytes, start, end);
  shared ??= new ScannerInstance(compiled);
  return shared.scan(bytes, start, end);
}
