import { WasmDecodeError } from './errors.js';
import * as masks from './feature-masks.js';
import type { Feature } from './opcodes.js';
import * as opcodes from './opcodes.js';
import type { BinaryReader } from './reader.js';
import type { HeapType, RefType, ValType } from './types.js';
import { readHeapType, readValType, ValTypeCode, writeHeapType, writeValType } from './types.js';
import type { BinaryWriter } from './writer.js';

// Module-local copies of the tables: loaders that rewrite ESM (vitest, tsx) turn every access to an
// imported binding into a getter call, which made the scanner ten times slower under them.
const { FEAT1, KIND1, OPCODES, SUB_FEAT, SUB_KIND } = opcodes;
const K = { ...opcodes.K } as const;
const { addFeatureMask, heapMask, MEMORY64, MULTI_MEMORY, MULTI_VALUE, REF_TYPES, VALTYPE_MASK } = masks;

/**
 * A block signature as its s33 value: a type index (>= 0), `BLOCK_EMPTY` (-64, the 0x40 byte), or a
 * one-byte value type as a negative number (i32 = -1, i.e. 0x7f - 0x80). `(ref null? ht)` results are
 * a `RefType`.
 */
export type BlockType = number | RefType;
export const BLOCK_EMPTY = -64;

export interface MemArg {
  /** log2 of the alignment, without the multi-memory flag (bit 6). */
  align: number;
  /** A number, or a bigint past `Number.MAX_SAFE_INTEGER` (memory64 only). */
  offset: number | bigint;
  /** Present exactly when the flags had bit 6 set, even for memory 0, so the bytes round-trip. */
  memory?: number;
}

/** One handler of `try_table`: `catch`/`catch_ref` name a tag, `catch_all`/`catch_all_ref` do not. */
export interface CatchClause {
  kind: 'catch' | 'catch_ref' | 'catch_all' | 'catch_all_ref';
  tag?: number;
  label: number;
}

/**
 * One decoded instruction. Only the fields its opcode's layout (see `OPCODES`) uses are set.
 * Every LEB immediate is a plain number except `i64.const` (bigint) and huge memory64 offsets.
 */
export interface Instruction {
  /** Single-byte opcode, or `(prefix << 16) | sub` for 0xFB..0xFE, e.g. 0xFD000C is `v128.const`. */
  op: number;
  /** First index immediate: local, global, function, type, table, tag, label, segment or memory index; br_table's default label. */
  index?: number;
  /** Second index immediate in encoding order: call_indirect's table, struct field, memory.init's memory, copy source, array.new_fixed length. */
  index2?: number;
  /** br_table targets, without the default. */
  labels?: number[];
  blockType?: BlockType;
  catches?: CatchClause[];
  memarg?: MemArg;
  /** SIMD lane index. */
  lane?: number;
  /** `i32.const` (number) or `i64.const` (bigint). */
  value?: number | bigint;
  /** Raw immediate bytes of f32.const, f64.const (so NaN payloads survive), v128.const and i8x16.shuffle. */
  bytes?: Uint8Array;
  /** `select` result types (the 0x1C form). */
  types?: ValType[];
  /** `ref.null`, `ref.test`, `ref.cast`. */
  heapType?: HeapType;
  /** `br_on_cast` and `br_on_cast_fail` source and target types (their flags byte holds the nullability). */
  castFrom?: RefType;
  castTo?: RefType;
}

export function opcodeName(op: number): string {
  return OPCODES.get(op)?.name ?? `unknown 0x${op.toString(16)}`;
}

const F_BLOCK = 0;
const F_IF = 1;
const F_ELSE = 2;
const F_TRY = 3;
const F_CATCH = 4;
const F_CATCH_ALL = 5;

// Open control frames of the expression being read. Decoding never calls out, so one shared stack is safe.
let frames = new Uint8Array(64);
let depth = 0;

function push(kind: number): void {
  if (depth === frames.length) {
    const next = new Uint8Array(frames.length * 2);
    next.set(frames);
    frames = next;
  }
  frames[depth++] = kind;
}

/** Applies a control instruction to the frame stack; true once the `end` of the whole expression is read. */
function control(kind: number, start: number): boolean {
  const top = frames[depth - 1];
  switch (kind) {
    case K.block:
    case K.tryTable:
      push(F_BLOCK);
      return false;
    case K.if:
      push(F_IF);
      return false;
    case K.try:
      push(F_TRY);
      return false;
    case K.else:
      if (top !== F_IF) throw new WasmDecodeError(start, 'an instruction', '`else` outside `if`');
      frames[depth - 1] = F_ELSE;
      return false;
    case K.catch:
    case K.catchAll:
      if (top !== F_TRY && top !== F_CATCH) {
        throw new WasmDecodeError(start, 'an instruction', '`catch` outside `try`');
      }
      frames[depth - 1] = kind === K.catch ? F_CATCH : F_CATCH_ALL;
      return false;
    case K.delegate:
      if (top !== F_TRY) throw new WasmDecodeError(start, 'an instruction', '`delegate` outside `try`');
      depth--;
      return false;
    default:
      return --depth === 0;
  }
}

function unknownOpcode(start: number, b: number, sub?: number): never {
  const code = sub === undefined ? `0x${hex(b)}` : `0x${hex(b)} 0x${hex(sub)}`;
  throw new WasmDecodeError(start, 'an instruction', `unknown opcode ${code}`);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function kindOf(op: number): number {
  if (op >= 0 && op < 0x100) return KIND1[op] === K.prefix ? K.unknown : (KIND1[op] as number);
  const t = SUB_KIND[(op >>> 16) - 0xfb];
  const sub = op & 0xffff;
  return t !== undefined && op <= 0xfeffff && sub < t.length ? (t[sub] as number) : K.unknown;
}

/** Single-byte value type codes usable in block types and `select`. */
const SHORTHAND = new Uint8Array(128);
for (const code of Object.values(ValTypeCode)) SHORTHAND[code] = 1;

function readBlockType(r: BinaryReader): BlockType {
  const b = r.peek();
  if (b === 0x63 || b === 0x64) return readValType(r, 'a block type') as RefType;
  const start = r.pos;
  const v = r.s33('a block type');
  if (v < 0 && (r.pos - start !== 1 || (v !== BLOCK_EMPTY && !SHORTHAND[v + 0x80]))) {
    r.fail('a block type', `unknown block type ${v}`, start);
  }
  return v;
}

function writeBlockType(w: BinaryWriter, t: BlockType): void {
  if (typeof t === 'number') w.s33(t);
  else writeValType(w, t);
}

function readMemArg(r: BinaryReader): MemArg {
  const flags = r.u32('memarg alignment flags');
  if (flags & 0x40) return { align: flags - 0x40, memory: r.u32('a memory index'), offset: readOffset(r) };
  return { align: flags, offset: readOffset(r) };
}

/** Offsets are u64 under memory64; read as u32 when the LEB fits one so the common case stays a number. */
function readOffset(r: BinaryReader): number | bigint {
  const bytes = r.bytes;
  let n = 0;
  let last = 0;
  while (r.pos + n < r.end && n < 10) {
    last = bytes[r.pos + n++] as number;
    if ((last & 0x80) === 0) break;
  }
  if (n < 5 || (n === 5 && (last & 0xf0) === 0)) return r.u32('a memarg offset');
  const v = r.u64('a memarg offset');
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function writeMemArg(w: BinaryWriter, m: MemArg): void {
  if (m.memory === undefined) w.u32(m.align);
  else {
    w.u32(m.align | 0x40);
    w.u32(m.memory);
  }
  // Always u64: a padded offset may be wider than the five bytes the u32 writer reserves.
  w.u64(BigInt(m.offset));
}

const CATCH_KINDS = ['catch', 'catch_ref', 'catch_all', 'catch_all_ref'] as const;

function readCatch(r: BinaryReader): CatchClause {
  const start = r.pos;
  const k = r.u8('a catch clause');
  const kind = CATCH_KINDS[k];
  if (kind === undefined) r.fail('a catch clause', `unknown catch kind 0x${hex(k)}`, start);
  if (k < 2) return { kind, tag: r.u32('a tag index'), label: r.u32('a label') };
  return { kind, label: r.u32('a label') };
}

/**
 * Reads instructions up to and including the `end` that closes the expression (a function body,
 * a constant expression). Throws `WasmDecodeError` on anything malformed.
 */
export function decodeExpression(r: BinaryReader): Instruction[] {
  const out: Instruction[] = [];
  depth = 0;
  push(F_BLOCK);
  for (;;) {
    const start = r.pos;
    const b = r.u8('an instruction');
    let op = b;
    let kind = KIND1[b] as number;
    if (kind === K.prefix) {
      const sub = r.u32('a sub-opcode');
      const t = SUB_KIND[b - 0xfb] as Uint8Array;
      kind = sub < t.length ? (t[sub] as number) : K.unknown;
      if (kind === K.unknown) unknownOpcode(start, b, sub);
      op = (b << 16) | sub;
    } else if (kind === K.unknown) unknownOpcode(start, b);
    const ins: Instruction = { op };
    out.push(ins);
    switch (kind) {
      case K.none:
        break;
      case K.u32:
      case K.mem:
        ins.index = r.u32('an index');
        break;
      case K.u32x2:
      case K.mem2:
      case K.dataMem:
      case K.indexTable:
      case K.table2:
        ins.index = r.u32('an index');
        ins.index2 = r.u32('an index');
        break;
      case K.brTable: {
        const n = r.count('br_table label');
        const labels: number[] = new Array(n);
        for (let i = 0; i < n; i++) labels[i] = r.u32('a label');
        ins.labels = labels;
        ins.index = r.u32('a label');
        break;
      }
      case K.memarg:
        ins.memarg = readMemArg(r);
        break;
      case K.memargLane:
        ins.memarg = readMemArg(r);
        ins.lane = r.u8('a lane index');
        break;
      case K.lane:
        ins.lane = r.u8('a lane index');
        break;
      case K.i32:
        ins.value = r.s32();
        break;
      case K.i64:
        ins.value = r.s64();
        break;
      case K.f32:
        ins.bytes = r.take(4, 'f32 bytes').slice();
        break;
      case K.f64:
        ins.bytes = r.take(8, 'f64 bytes').slice();
        break;
      case K.v128:
      case K.shuffle:
        ins.bytes = r.take(16, 'v128 bytes').slice();
        break;
      case K.selectTypes: {
        const n = r.count('select type');
        const types: ValType[] = new Array(n);
        for (let i = 0; i < n; i++) types[i] = readValType(r);
        ins.types = types;
        break;
      }
      case K.heapType:
        ins.heapType = readHeapType(r);
        break;
      case K.brOnCast: {
        const at = r.pos;
        const flags = r.u8('cast flags');
        if (flags > 3) r.fail('cast flags', `invalid cast flags 0x${hex(flags)}`, at);
        ins.index = r.u32('a label');
        ins.castFrom = { nullable: (flags & 1) !== 0, heap: readHeapType(r) };
        ins.castTo = { nullable: (flags & 2) !== 0, heap: readHeapType(r) };
        break;
      }
      case K.zeroByte: {
        const at = r.pos;
        if (r.u8('a zero byte') !== 0) r.fail('a zero byte', undefined, at);
        break;
      }
      case K.block:
      case K.if:
      case K.try:
        ins.blockType = readBlockType(r);
        control(kind, start);
        break;
      case K.tryTable: {
        ins.blockType = readBlockType(r);
        const n = r.count('catch clause', 2);
        const catches: CatchClause[] = new Array(n);
        for (let i = 0; i < n; i++) catches[i] = readCatch(r);
        ins.catches = catches;
        control(kind, start);
        break;
      }
      case K.catch:
      case K.delegate:
        ins.index = r.u32('an index');
        control(kind, start);
        break;
      default:
        if (control(kind, start)) return out;
    }
  }
}

function need<T>(v: T | undefined, ins: Instruction, field: string): T {
  if (v === undefined) throw new TypeError(`${opcodeName(ins.op)} needs \`${field}\``);
  return v;
}

/** Writes `code` back in binary form; the exact inverse of `decodeExpression`, replaying the writer's LEB hints. */
export function encodeExpression(w: BinaryWriter, code: Instruction[]): void {
  for (const ins of code) {
    const op = ins.op;
    const kind = kindOf(op);
    if (kind === K.unknown) throw new RangeError(`cannot encode unknown opcode 0x${op.toString(16)}`);
    if (op < 0x100) w.u8(op);
    else {
      w.u8(op >>> 16);
      w.u32(op & 0xffff);
    }
    switch (kind) {
      case K.u32:
      case K.mem:
      case K.catch:
      case K.delegate:
        w.u32(need(ins.index, ins, 'index'));
        break;
      case K.u32x2:
      case K.mem2:
      case K.dataMem:
      case K.indexTable:
      case K.table2:
        w.u32(need(ins.index, ins, 'index'));
        w.u32(need(ins.index2, ins, 'index2'));
        break;
      case K.brTable: {
        const labels = need(ins.labels, ins, 'labels');
        w.u32(labels.length);
        for (const l of labels) w.u32(l);
        w.u32(need(ins.index, ins, 'index'));
        break;
      }
      case K.memarg:
        writeMemArg(w, need(ins.memarg, ins, 'memarg'));
        break;
      case K.memargLane:
        writeMemArg(w, need(ins.memarg, ins, 'memarg'));
        w.u8(need(ins.lane, ins, 'lane'));
        break;
      case K.lane:
        w.u8(need(ins.lane, ins, 'lane'));
        break;
      case K.i32:
        w.s32Small(Number(need(ins.value, ins, 'value')));
        break;
      case K.i64:
        w.s64(BigInt(need(ins.value, ins, 'value')));
        break;
      case K.f32:
      case K.f64:
      case K.v128:
      case K.shuffle: {
        const bytes = need(ins.bytes, ins, 'bytes');
        const n = kind === K.f32 ? 4 : kind === K.f64 ? 8 : 16;
        if (bytes.length !== n) throw new RangeError(`${opcodeName(op)} needs ${n} bytes, got ${bytes.length}`);
        w.bytes(bytes);
        break;
      }
      case K.selectTypes: {
        const types = need(ins.types, ins, 'types');
        w.u32(types.length);
        for (const t of types) writeValType(w, t);
        break;
      }
      case K.heapType:
        writeHeapType(w, need(ins.heapType, ins, 'heapType'));
        break;
      case K.brOnCast: {
        const from = need(ins.castFrom, ins, 'castFrom');
        const to = need(ins.castTo, ins, 'castTo');
        w.u8((from.nullable ? 1 : 0) | (to.nullable ? 2 : 0));
        w.u32(need(ins.index, ins, 'index'));
        writeHeapType(w, from.heap);
        writeHeapType(w, to.heap);
        break;
      }
      case K.zeroByte:
        w.u8(0);
        break;
      case K.block:
      case K.if:
      case K.try:
        writeBlockType(w, need(ins.blockType, ins, 'blockType'));
        break;
      case K.tryTable: {
        writeBlockType(w, need(ins.blockType, ins, 'blockType'));
        const catches = need(ins.catches, ins, 'catches');
        w.u32(catches.length);
        for (const c of catches) {
          const k = CATCH_KINDS.indexOf(c.kind);
          w.u8(k);
          if (k < 2) w.u32(need(c.tag, ins, 'catches[].tag'));
          w.u32(c.label);
        }
        break;
      }
    }
  }
}

const TOO_LONG = 'integer representation too long or too large';

// The scanner's LEB readers return the new position and leave the value here, to avoid allocating.
let lebValue = 0;

/** u32 LEB with the same limits as `BinaryReader.u32`. */
function u32At(bytes: Uint8Array, pos: number, end: number, what: string): number {
  const start = pos;
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) throw new WasmDecodeError(start, what, 'unexpected end');
    const b = bytes[pos++] as number;
    if (shift === 28) {
      if (b & 0xf0) throw new WasmDecodeError(start, what, TOO_LONG);
      lebValue = (result | (b << 28)) >>> 0;
      return pos;
    }
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      lebValue = result >>> 0;
      return pos;
    }
  }
}

/** Skips an s32 LEB with the same limits as `BinaryReader.s32`. */
function s32At(bytes: Uint8Array, pos: number, end: number): number {
  const start = pos;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new WasmDecodeError(start, 'an i32', 'unexpected end');
    const b = bytes[pos++] as number;
    if (i === 4) {
      if (b & 0x80 || (b & 0x70) !== (b & 0x08 ? 0x70 : 0)) throw new WasmDecodeError(start, 'an i32', TOO_LONG);
      return pos;
    }
    if ((b & 0x80) === 0) return pos;
  }
}

/** s33 LEB (block types, heap types) with the same limits as `BinaryReader.s33`. */
function s33At(bytes: Uint8Array, pos: number, end: number, what: string): number {
  const start = pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new WasmDecodeError(start, what, 'unexpected end');
    const b = bytes[pos++] as number;
    if (i === 4) {
      if (b & 0x80 || (b & 0x60) !== (b & 0x10 ? 0x60 : 0)) throw new WasmDecodeError(start, what, TOO_LONG);
      lebValue = result + (b & 0x1f) * mul - (b & 0x10 ? 2 ** 33 : 0);
      return pos;
    }
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      lebValue = b & 0x40 ? result - mul : result;
      return pos;
    }
  }
}

/** 64-bit LEB; `signed` applies `BinaryReader.s64`'s last-byte rule, otherwise `u64`'s. lebValue is approximate past 2^53. */
function leb64At(bytes: Uint8Array, pos: number, end: number, signed: boolean, what: string): number {
  const start = pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new WasmDecodeError(start, what, 'unexpected end');
    const b = bytes[pos++] as number;
    if (i === 9) {
      if (signed ? b !== 0 && b !== 0x7f : b & 0xfe) throw new WasmDecodeError(start, what, TOO_LONG);
      lebValue = result + (b & 1) * mul;
      return pos;
    }
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      lebValue = result;
      return pos;
    }
  }
}

function heapAt(bytes: Uint8Array, pos: number, end: number): number {
  const start = pos;
  pos = s33At(bytes, pos, end, 'a heap type');
  const ht = lebValue;
  if (ht < 0 && (ht + 0x80 < 0x69 || ht + 0x80 > 0x74)) {
    throw new WasmDecodeError(start, 'a heap type', `unknown heap type ${ht}`);
  }
  return pos;
}

/** A value type (one byte or `(ref null? ht)`), its features ORed into `scanMask`. */
function valTypeAt(bytes: Uint8Array, pos: number, end: number, what: string): number {
  if (pos >= end) throw new WasmDecodeError(pos, what, 'unexpected end');
  const t = bytes[pos] as number;
  if (t === 0x63 || t === 0x64) {
    pos = heapAt(bytes, pos + 1, end);
    scanMask |= heapMask(lebValue, t === 0x63);
    return pos;
  }
  if (t >= 0x80 || !SHORTHAND[t]) throw new WasmDecodeError(pos, what, `unknown type byte 0x${hex(t)}`);
  scanMask |= VALTYPE_MASK[t] as number;
  return pos + 1;
}

function blockTypeAt(bytes: Uint8Array, pos: number, end: number): number {
  if (pos >= end) throw new WasmDecodeError(pos, 'a block type', 'unexpected end');
  const t = bytes[pos] as number;
  if (t === 0x40) return pos + 1;
  if (t >= 0x40 && t < 0x80) return valTypeAt(bytes, pos, end, 'a block type');
  const start = pos;
  pos = s33At(bytes, pos, end, 'a block type');
  if (lebValue < 0) throw new WasmDecodeError(start, 'a block type', `unknown block type ${lebValue}`);
  scanMask |= MULTI_VALUE;
  return pos;
}

function countAt(bytes: Uint8Array, pos: number, end: number, what: string, minItemBytes: number): number {
  const start = pos;
  pos = u32At(bytes, pos, end, `${what} count`);
  if (lebValue * minItemBytes > end - pos) {
    throw new WasmDecodeError(start, `${what} count`, `${lebValue} items cannot fit in the ${end - pos} bytes left`);
  }
  return pos;
}

function memargAt(bytes: Uint8Array, pos: number, end: number): number {
  pos = u32At(bytes, pos, end, 'memarg alignment flags');
  if (lebValue & 0x40) {
    scanMask |= MULTI_MEMORY;
    pos = u32At(bytes, pos, end, 'a memory index');
  }
  if (pos < end && (bytes[pos] as number) < 0x80) return pos + 1;
  pos = leb64At(bytes, pos, end, false, 'a memarg offset');
  if (lebValue > 0xffffffff) scanMask |= MEMORY64;
  return pos;
}

let scanMask = 0;

/**
 * Walks one expression like `decodeExpression`, accepting and rejecting the same bytes, but builds
 * nothing: adds every instruction's features to `features` and returns how many instructions it read.
 */
export function scanExpression(r: BinaryReader, features: Set<Feature>): number {
  const bytes = r.bytes;
  const end = r.end;
  let pos = r.pos;
  let count = 0;
  let mask = 0;
  scanMask = 0;
  depth = 0;
  push(F_BLOCK);
  for (;;) {
    if (pos >= end) throw new WasmDecodeError(pos, 'an instruction', 'unexpected end');
    const start = pos;
    const b = bytes[pos++] as number;
    let kind = KIND1[b] as number;
    if (kind === K.prefix) {
      let sub = bytes[pos] as number;
      if (pos < end && sub < 0x80) pos++;
      else {
        pos = u32At(bytes, pos, end, 'a sub-opcode');
        sub = lebValue;
      }
      const t = SUB_KIND[b - 0xfb] as Uint8Array;
      kind = sub < t.length ? (t[sub] as number) : K.unknown;
      if (kind === K.unknown) unknownOpcode(start, b, sub);
      mask |= (SUB_FEAT[b - 0xfb] as Uint32Array)[sub] as number;
    } else {
      if (kind === K.unknown) unknownOpcode(start, b);
      mask |= FEAT1[b] as number;
    }
    count++;
    switch (kind) {
      case 1 /* none */:
        break;
      case 2 /* u32 */:
        if (pos < end && (bytes[pos] as number) < 0x80) pos++;
        else pos = u32At(bytes, pos, end, 'an index');
        break;
      case 3 /* u32x2 */:
        pos = u32At(bytes, u32At(bytes, pos, end, 'an index'), end, 'an index');
        break;
      case 4 /* mem */:
        pos = u32At(bytes, pos, end, 'a memory index');
        if (lebValue !== 0) mask |= MULTI_MEMORY;
        break;
      case 5 /* mem2 */:
      case 8 /* table2 */:
        {
          const extra = kind === K.mem2 ? MULTI_MEMORY : REF_TYPES;
          pos = u32At(bytes, pos, end, 'an index');
          if (lebValue !== 0) mask |= extra;
          pos = u32At(bytes, pos, end, 'an index');
          if (lebValue !== 0) mask |= extra;
          break;
        }
      case 6 /* dataMem */:
      case 7 /* indexTable */:
        pos = u32At(bytes, u32At(bytes, pos, end, 'an index'), end, 'an index');
        if (lebValue !== 0) mask |= kind === K.dataMem ? MULTI_MEMORY : REF_TYPES;
        break;
      case 9 /* brTable */:
        {
          pos = countAt(bytes, pos, end, 'br_table label', 1);
          for (let n = lebValue; n >= 0; n--) pos = u32At(bytes, pos, end, 'a label');
          break;
        }
      case 10 /* memarg */:
        pos = memargAt(bytes, pos, end);
        break;
      case 11 /* memargLane */:
        pos = memargAt(bytes, pos, end) + 1;
        if (pos > end) throw new WasmDecodeError(end, 'a lane index', 'unexpected end');
        break;
      case 12 /* lane */:
        if (pos >= end) throw new WasmDecodeError(pos, 'a lane index', 'unexpected end');
        pos++;
        break;
      case 13 /* i32 */:
        if (pos < end && (bytes[pos] as number) < 0x80) pos++;
        else pos = s32At(bytes, pos, end);
        break;
      case 14 /* i64 */:
        pos = leb64At(bytes, pos, end, true, 'an i64');
        break;
      case 15 /* f32 */:
      case 16 /* f64 */:
      case 17 /* v128 */:
      case 18 /* shuffle */:
        {
          const n = kind === K.f32 ? 4 : kind === K.f64 ? 8 : 16;
          if (n > end - pos) throw new WasmDecodeError(pos, `${n} bytes`, `only ${end - pos} left`);
          pos += n;
          break;
        }
      case 19 /* selectTypes */:
        {
          pos = countAt(bytes, pos, end, 'select type', 1);
          for (let n = lebValue; n > 0; n--) pos = valTypeAt(bytes, pos, end, 'a value type');
          break;
        }
      case 20 /* heapType */:
        pos = heapAt(bytes, pos, end);
        mask |= heapMask(lebValue, true);
        break;
      case 21 /* brOnCast */:
        {
          if (pos >= end) throw new WasmDecodeError(pos, 'cast flags', 'unexpected end');
          const flags = bytes[pos] as number;
          if (flags > 3) throw new WasmDecodeError(pos, 'cast flags', `invalid cast flags 0x${hex(flags)}`);
          pos = heapAt(bytes, heapAt(bytes, u32At(bytes, pos + 1, end, 'a label'), end), end);
          break;
        }
      case 22 /* zeroByte */:
        if (pos >= end) throw new WasmDecodeError(pos, 'a zero byte', 'unexpected end');
        if (bytes[pos] !== 0) throw new WasmDecodeError(pos, 'a zero byte');
        pos++;
        break;
      case 23 /* block */:
      case 24 /* if */:
      case 25 /* try */:
        pos = blockTypeAt(bytes, pos, end);
        control(kind, start);
        break;
      case 26 /* tryTable */:
        {
          pos = countAt(bytes, blockTypeAt(bytes, pos, end), end, 'catch clause', 2);
          for (let n = lebValue; n > 0; n--) {
            if (pos >= end) throw new WasmDecodeError(pos, 'a catch clause', 'unexpected end');
            const k = bytes[pos] as number;
            if (k > 3) throw new WasmDecodeError(pos, 'a catch clause', `unknown catch kind 0x${hex(k)}`);
            pos = u32At(bytes, pos + 1, end, k < 2 ? 'a tag index' : 'a label');
            if (k < 2) pos = u32At(bytes, pos, end, 'a label');
          }
          control(kind, start);
          break;
        }
      case 28 /* catch */:
      case 30 /* delegate */:
        pos = u32At(bytes, pos, end, 'an index');
        control(kind, start);
        break;
      default:
        if (control(kind, start)) {
          r.pos = pos;
          addFeatureMask(mask | scanMask, features);
          return count;
        }
    }
  }
}
