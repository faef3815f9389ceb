import type { Feature } from './opcodes.js';
import { FEATURES, featureBit } from './opcodes.js';

// Feature bits of the types that instruction immediates name, shared by the checking scanner
// (`scanExpression`) and the tables of the walk for engine-validated code (valid-code-scan.ts), so
// that both report the same features by construction.

export const MULTI_VALUE = featureBit('multi-value');
export const MULTI_MEMORY = featureBit('multi-memory');
export const MEMORY64 = featureBit('memory64');
export const REF_TYPES = featureBit('reference-types');
export const FUNC_REFS = featureBit('function-references');
export const GC = featureBit('gc');
export const EH = featureBit('exception-handling');

/** Features implied by a one-byte value type in a block type or `select`. */
export const VALTYPE_MASK = new Uint32Array(128);
VALTYPE_MASK[0x7b] = featureBit('simd');
for (let b = 0x69; b <= 0x74; b++) VALTYPE_MASK[b] = GC;
VALTYPE_MASK[0x70] = REF_TYPES;
VALTYPE_MASK[0x6f] = REF_TYPES;
VALTYPE_MASK[0x69] = EH;
VALTYPE_MASK[0x74] = EH;

/** Features implied by `(ref null? ht)` in an instruction immediate. */
export function heapMask(ht: number, nullable: boolean): number {
  let m = ht >= 0 || !nullable ? FUNC_REFS : REF_TYPES;
  if (ht < 0 && ht !== 0x70 - 0x80 && ht !== 0x6f - 0x80) m |= ht === 0x69 - 0x80 || ht === 0x74 - 0x80 ? EH : GC;
  return m;
}

/** Adds the feature of every bit set in `mask` (bit `i` is `FEATURES[i]`). */
export function addFeatureMask(mask: number, features: Set<Feature>): void {
  for (let i = 0; mask !== 0; i++, mask >>>= 1) if (mask & 1) features.add(FEATURES[i] as Feature);
}

/** The mask of a feature set, for tables derived from the Set-based helpers. */
export function featureMaskOf(features: Iterable<Feature>): number {
  let mask = 0;
  for (const f of features) mask |= featureBit(f);
  return mask;
}
