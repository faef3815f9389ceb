import type { Instruction } from '@portalis/wasm-binary';
import { decodeModule, opcodeName } from '@portalis/wasm-binary';

/** log2 of the access size of an atomic instruction, from its name (`i64.atomic.rmw16.add_u` -> 1). */
export function atomicNaturalAlignment(name: string): number {
  if (name.endsWith('wait64')) return 3;
  if (name.endsWith('notify') || name.endsWith('wait32')) return 2;
  const narrow = /\.atomic\.(?:load|store|rmw)(8|16|32)/.exec(name);
  if (narrow) return { '8': 0, '16': 1, '32': 2 }[narrow[1] as '8' | '16' | '32'];
  return name.startsWith('i64.') ? 3 : 2;
}

/**
 * The threads proposal requires atomic accesses to be exactly naturally aligned; V8 11.3 accepts
 * less, so this rule is checked here. Returns the first offending instruction's name, or undefined.
 * Runs only for modules that use threads, so its full decode costs nothing elsewhere.
 */
export function misalignedAtomic(bytes: Uint8Array): string | undefined {
  const visit = (code: Instruction[]): string | undefined => {
    for (const ins of code) {
      if (ins.op >> 16 !== 0xfe || !ins.memarg) continue;
      const name = opcodeName(ins.op);
      if (ins.memarg.align !== atomicNaturalAlignment(name)) {
        return `${name} with alignment 2^${ins.memarg.align}; atomic accesses must be naturally aligned (2^${atomicNaturalAlignment(name)})`;
      }
    }
    return undefined;
  };
  for (const s of decodeModule(bytes).sections) {
    if (s.id !== 'code') continue;
    for (const b of s.bodies) {
      const found = visit(b.code);
      if (found) return found;
    }
  }
  return undefined;
}
