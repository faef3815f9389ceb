import type { BinaryReader } from './reader.js';
import type { BinaryWriter } from './writer.js';

/** Number and vector types, and the one-byte reference shorthands (`funcref`, `externref`, `anyref`, ...). */
export const ValTypeCode = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
  anyref: 0x6e,
  eqref: 0x6d,
  i31ref: 0x6c,
  structref: 0x6b,
  arrayref: 0x6a,
  exnref: 0x69,
  nullexnref: 0x74,
  nullfuncref: 0x73,
  nullexternref: 0x72,
  nullref: 0x71,
} as const;

/** Heap types as their s33 value: a type index (>= 0) or an abstract heap type (negative). */
export type HeapType = number;

/** `(ref null? ht)` written out in full (prefix 0x63 nullable, 0x64 non-null). */
export interface RefType {
  readonly nullable: boolean;
  readonly heap: HeapType;
}

/** A value type: a one-byte code from `ValTypeCode`, or a full reference type. */
export type ValType = number | RefType;

/** Storage types of GC fields add packed i8 (0x78) and i16 (0x77). */
export type StorageType = ValType;

const SHORTHANDS = new Set<number>(Object.values(ValTypeCode));

export function isRefType(t: ValType): t is RefType {
  return typeof t === 'object';
}

export function readHeapType(r: BinaryReader): HeapType {
  const start = r.pos;
  const ht = r.s33('a heap type');
  if (ht < 0 && (ht + 0x80 < 0x69 || ht + 0x80 > 0x74)) r.fail('a heap type', `unknown heap type ${ht}`, start);
  return ht;
}

export function writeHeapType(w: BinaryWriter, ht: HeapType): void {
  w.s33(ht);
}

export function readValType(r: BinaryReader, what = 'a value type'): ValType {
  const start = r.pos;
  const b = r.u8(what);
  if (b === 0x63 || b === 0x64) return { nullable: b === 0x63, heap: readHeapType(r) };
  if (!SHORTHANDS.has(b)) r.fail(what, `unknown type byte 0x${b.toString(16)}`, start);
  return b;
}

export function readStorageType(r: BinaryReader): StorageType {
  const b = r.peek();
  if (b === 0x78 || b === 0x77) {
    r.pos++;
    return b;
  }
  return readValType(r, 'a field storage type');
}

export function writeValType(w: BinaryWriter, t: ValType): void {
  if (typeof t === 'number') {
    w.u8(t);
    return;
  }
  w.u8(t.nullable ? 0x63 : 0x64);
  w.s33(t.heap);
}

/** Shorthand reference types (`funcref`) as the (ref null ht) they stand for, or undefined. */
export function refTypeOf(t: ValType): RefType | undefined {
  if (typeof t === 'object') return t;
  if (t <= 0x74 && t >= 0x69) return { nullable: true, heap: t - 0x80 };
  return undefined;
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ValTypeCode).map(([k, v]) => [v, k]));
const HEAP_NAMES: Record<number, string> = {
  [0x70 - 0x80]: 'func',
  [0x6f - 0x80]: 'extern',
  [0x6e - 0x80]: 'any',
  [0x6d - 0x80]: 'eq',
  [0x6c - 0x80]: 'i31',
  [0x6b - 0x80]: 'struct',
  [0x6a - 0x80]: 'array',
  [0x69 - 0x80]: 'exn',
  [0x74 - 0x80]: 'noexn',
  [0x73 - 0x80]: 'nofunc',
  [0x72 - 0x80]: 'noextern',
  [0x71 - 0x80]: 'none',
};

export function heapTypeToString(ht: HeapType): string {
  return ht >= 0 ? String(ht) : (HEAP_NAMES[ht] ?? `heap${ht}`);
}

/** The WAT spelling of a value type: `i32`, `funcref`, `(ref null 3)`. */
export function valTypeToString(t: ValType): string {
  if (typeof t === 'number') return t === 0x78 ? 'i8' : t === 0x77 ? 'i16' : (NAMES[t] ?? `type0x${t.toString(16)}`);
  return `(ref ${t.nullable ? 'null ' : ''}${heapTypeToString(t.heap)})`;
}
