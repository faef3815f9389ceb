import type { Feature } from './opcodes.js';
import type { CompositeType, Limits, SubType } from './sections.js';
import type { ValType } from './types.js';
import { isRefType } from './types.js';

/**
 * Proposals that Node 20's V8 (11.3) cannot compile without flags. A module that uses one of these
 * and is otherwise well-formed is "valid per the format, not supported by this engine".
 */
export const UNSUPPORTED_BY_NODE20_V8: ReadonlySet<Feature> = new Set<Feature>([
  'gc',
  'multi-memory',
  'memory64',
  'relaxed-simd',
  'function-references',
  'exception-handling',
  'custom-page-sizes',
  'extended-const',
]);

export function limitsFeatures(l: Limits, features: Set<Feature>): void {
  if (l.flags & 0x02) features.add('threads');
  if (l.flags & 0x04) features.add('memory64');
  if (l.flags & 0x08) features.add('custom-page-sizes');
}

export function valTypeFeatures(t: ValType, features: Set<Feature>): void {
  if (isRefType(t)) {
    features.add(t.heap >= 0 || !t.nullable ? 'function-references' : 'reference-types');
    if (t.heap < 0 && t.heap !== 0x70 - 0x80 && t.heap !== 0x6f - 0x80)
      features.add(t.heap === 0x69 - 0x80 ? 'exception-handling' : 'gc');
    return;
  }
  if (t === 0x7b) features.add('simd');
  else if (t === 0x6f) features.add('reference-types');
  else if (t === 0x69 || t === 0x74) features.add('exception-handling');
  else if (t >= 0x6a && t <= 0x73 && t !== 0x70 && t !== 0x6f) features.add('gc');
}

export function compositeTypeFeatures(t: CompositeType, features: Set<Feature>): void {
  if (t.kind !== 'func') {
    features.add('gc');
    return;
  }
  if (t.results.length > 1) features.add('multi-value');
  for (const p of t.params) valTypeFeatures(p, features);
  for (const p of t.results) valTypeFeatures(p, features);
}

export function subTypeFeatures(s: SubType, features: Set<Feature>): void {
  if (s.prefix !== undefined) features.add('gc');
  compositeTypeFeatures(s.type, features);
}
