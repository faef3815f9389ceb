/**
 * Every instruction of WebAssembly 3.0 plus threads: its WAT mnemonic, how its immediates are laid out,
 * and the proposal it comes from. Opcodes behind a prefix byte (0xFB GC, 0xFC bulk/saturating, 0xFD SIMD,
 * 0xFE atomics) are numbered `(prefix << 16) | sub`, e.g. `v128.const` is 0xFD000C.
 *
 * Checked against wasmparser's operator decoder and the spec's binary format. Proposals that are not
 * merged into the spec (stack switching, wide arithmetic, memory.discard, shared-everything threads,
 * custom descriptors) are left out on purpose: their opcodes decode as unknown.
 */

/** A WebAssembly proposal (or the MVP) that a module relies on. */
export type Feature =
  | 'mvp'
  | 'mutable-globals'
  | 'sign-extension'
  | 'saturating-float-to-int'
  | 'multi-value'
  | 'bulk-memory'
  | 'reference-types'
  | 'simd'
  | 'relaxed-simd'
  | 'threads'
  | 'tail-call'
  | 'exception-handling'
  | 'legacy-exception-handling'
  | 'multi-memory'
  | 'memory64'
  | 'function-references'
  | 'gc'
  | 'extended-const'
  | 'custom-page-sizes';

/** Bit `i` of a feature mask stands for `FEATURES[i]`; the scanner ORs masks instead of touching a Set per instruction. */
export const FEATURES: readonly Feature[] = [
  'mvp',
  'mutable-globals',
  'sign-extension',
  'saturating-float-to-int',
  'multi-value',
  'bulk-memory',
  'reference-types',
  'simd',
  'relaxed-simd',
  'threads',
  'tail-call',
  'exception-handling',
  'legacy-exception-handling',
  'multi-memory',
  'memory64',
  'function-references',
  'gc',
  'extended-const',
  'custom-page-sizes',
];

export function featureBit(f: Feature): number {
  return 1 << FEATURES.indexOf(f);
}

/**
 * How an instruction's immediates follow its opcode:
 * - `index`: one u32 (local, global, function, type, table, label, tag, segment or memory index);
 *   `index2`: two u32s in encoding order.
 * - `block`: a block type; `tryTable`: a block type and a vector of catch clauses.
 * - `brTable`: a vector of labels and a default label.
 * - `memarg`: alignment flags (bit 6 = a memory index follows) and an offset; `memargLane`: a memarg
 *   and a lane byte; `lane`: a lane byte.
 * - `i32`/`i64`: signed LEB128; `f32`/`f64`/`v128`/`shuffle`: 4, 8, 16, 16 raw bytes.
 * - `selectTypes`: a vector of value types; `heapType`: an s33 heap type.
 * - `brOnCast`: a cast-flags byte, a label and two heap types; `zeroByte`: one reserved 0x00 byte.
 */
export type ImmediateLayout =
  | 'none'
  | 'index'
  | 'index2'
  | 'block'
  | 'tryTable'
  | 'brTable'
  | 'memarg'
  | 'memargLane'
  | 'lane'
  | 'i32'
  | 'i64'
  | 'f32'
  | 'f64'
  | 'v128'
  | 'shuffle'
  | 'selectTypes'
  | 'heapType'
  | 'brOnCast'
  | 'zeroByte';

export interface OpcodeInfo {
  /** Single byte, or `(prefix << 16) | sub` for prefixed instructions. */
  readonly op: number;
  /** The WAT mnemonic (`ref.test` covers both the nullable and the non-null opcode, as in WAT). */
  readonly name: string;
  readonly immediates: ImmediateLayout;
  /** The proposal the instruction belongs to; `return_call_ref` needs two. */
  readonly features: readonly Feature[];
}

/**
 * Internal decoding kinds: the layout plus what the decoder tracks beyond it (nesting, and memory or
 * table indices whose non-zero value signals multi-memory or reference-types). 0 means unknown.
 * `scanExpression` switches on these values as literals (a jump table, measurably faster), so keep
 * the numbers stable; a test pins them.
 */
export const K = {
  unknown: 0,
  none: 1,
  u32: 2,
  u32x2: 3,
  mem: 4,
  mem2: 5,
  dataMem: 6,
  indexTable: 7,
  table2: 8,
  brTable: 9,
  memarg: 10,
  memargLane: 11,
  lane: 12,
  i32: 13,
  i64: 14,
  f32: 15,
  f64: 16,
  v128: 17,
  shuffle: 18,
  selectTypes: 19,
  heapType: 20,
  brOnCast: 21,
  zeroByte: 22,
  block: 23,
  if: 24,
  try: 25,
  tryTable: 26,
  else: 27,
  catch: 28,
  catchAll: 29,
  delegate: 30,
  end: 31,
  prefix: 32,
} as const;

const LAYOUT_OF_KIND: readonly ImmediateLayout[] = [
  'none', // unknown: never looked up
  'none',
  'index',
  'index2',
  'index',
  'index2',
  'index2',
  'index2',
  'index2',
  'brTable',
  'memarg',
  'memargLane',
  'lane',
  'i32',
  'i64',
  'f32',
  'f64',
  'v128',
  'shuffle',
  'selectTypes',
  'heapType',
  'brOnCast',
  'zeroByte',
  'block',
  'block',
  'block',
  'tryTable',
  'none',
  'index',
  'none',
  'index',
  'none',
];

/** Kind and feature mask of each single-byte opcode (prefix bytes have kind `K.prefix`). */
export const KIND1 = new Uint8Array(256);
export const FEAT1 = new Uint32Array(256);
/** Kind and feature mask per sub-opcode, indexed by `prefix - 0xfb`. */
export const SUB_KIND: readonly Uint8Array[] = [
  new Uint8Array(0x1f),
  new Uint8Array(0x12),
  new Uint8Array(0x114),
  new Uint8Array(0x4f),
];
export const SUB_FEAT: readonly Uint32Array[] = SUB_KIND.map((t) => new Uint32Array(t.length));

const table = new Map<number, OpcodeInfo>();
/** Every known instruction, keyed by opcode. */
export const OPCODES: ReadonlyMap<number, OpcodeInfo> = table;

/** Defines consecutive opcodes from `op`, one per space-separated name; `-` skips a code. */
function def(op: number, names: string, kind: number, ...features: Feature[]): void {
  let mask = 0;
  for (const f of features) mask |= featureBit(f);
  for (const name of names.split(' ')) {
    if (name !== '-') {
      table.set(op, { op, name, immediates: LAYOUT_OF_KIND[kind] as ImmediateLayout, features });
      if (op < 0x100) {
        KIND1[op] = kind;
        FEAT1[op] = mask;
      } else {
        const i = (op >>> 16) - 0xfb;
        (SUB_KIND[i] as Uint8Array)[op & 0xffff] = kind;
        (SUB_FEAT[i] as Uint32Array)[op & 0xffff] = mask;
      }
    }
    op++;
  }
}

const EH = 'exception-handling';
const LEGACY = 'legacy-exception-handling';
const REF = 'reference-types';
const FREF = 'function-references';

def(0x00, 'unreachable nop', K.none, 'mvp');
def(0x02, 'block loop', K.block, 'mvp');
def(0x04, 'if', K.if, 'mvp');
def(0x05, 'else', K.else, 'mvp');
def(0x06, 'try', K.try, LEGACY);
def(0x07, 'catch', K.catch, LEGACY);
def(0x08, 'throw', K.u32, LEGACY);
def(0x09, 'rethrow', K.u32, LEGACY);
def(0x0a, 'throw_ref', K.none, EH);
def(0x0b, 'end', K.end, 'mvp');
def(0x0c, 'br br_if', K.u32, 'mvp');
def(0x0e, 'br_table', K.brTable, 'mvp');
def(0x0f, 'return', K.none, 'mvp');
def(0x10, 'call', K.u32, 'mvp');
def(0x11, 'call_indirect', K.indexTable, 'mvp');
def(0x12, 'return_call', K.u32, 'tail-call');
def(0x13, 'return_call_indirect', K.indexTable, 'tail-call');
def(0x14, 'call_ref', K.u32, FREF);
def(0x15, 'return_call_ref', K.u32, 'tail-call', FREF);
def(0x18, 'delegate', K.delegate, LEGACY);
def(0x19, 'catch_all', K.catchAll, LEGACY);
def(0x1a, 'drop select', K.none, 'mvp');
def(0x1c, 'select', K.selectTypes, REF);
def(0x1f, 'try_table', K.tryTable, EH);
def(0x20, 'local.get local.set local.tee global.get global.set', K.u32, 'mvp');
def(0x25, 'table.get table.set', K.u32, REF);
def(
  0x28,
  'i32.load i64.load f32.load f64.load i32.load8_s i32.load8_u i32.load16_s i32.load16_u i64.load8_s i64.load8_u ' +
    'i64.load16_s i64.load16_u i64.load32_s i64.load32_u i32.store i64.store f32.store f64.store i32.store8 ' +
    'i32.store16 i64.store8 i64.store16 i64.store32',
  K.memarg,
  'mvp',
);
def(0x3f, 'memory.size memory.grow', K.mem, 'mvp');
def(0x41, 'i32.const', K.i32, 'mvp');
def(0x42, 'i64.const', K.i64, 'mvp');
def(0x43, 'f32.const', K.f32, 'mvp');
def(0x44, 'f64.const', K.f64, 'mvp');
def(
  0x45,
  'i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u ' +
    'i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u ' +
    'f32.eq f32.ne f32.lt f32.gt f32.le f32.ge f64.eq f64.ne f64.lt f64.gt f64.le f64.ge ' +
    'i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or ' +
    'i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr ' +
    'i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or ' +
    'i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr ' +
    'f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt f32.add f32.sub f32.mul f32.div f32.min ' +
    'f32.max f32.copysign f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt f64.add f64.sub ' +
    'f64.mul f64.div f64.min f64.max f64.copysign ' +
    'i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u i64.extend_i32_s ' +
    'i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u f32.convert_i32_s ' +
    'f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64 f64.convert_i32_s f64.convert_i32_u ' +
    'f64.convert_i64_s f64.convert_i64_u f64.promote_f32 i32.reinterpret_f32 i64.reinterpret_f64 ' +
    'f32.reinterpret_i32 f64.reinterpret_i64',
  K.none,
  'mvp',
);
def(0xc0, 'i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s', K.none, 'sign-extension');
def(0xd0, 'ref.null', K.heapType, REF);
def(0xd1, 'ref.is_null', K.none, REF);
def(0xd2, 'ref.func', K.u32, REF);
def(0xd3, 'ref.eq', K.none, 'gc');
def(0xd4, 'ref.as_non_null', K.none, FREF);
def(0xd5, 'br_on_null br_on_non_null', K.u32, FREF);
for (let p = 0xfb; p <= 0xfe; p++) KIND1[p] = K.prefix;

const GC = 0xfb0000;
def(GC | 0x00, 'struct.new struct.new_default', K.u32, 'gc');
def(GC | 0x02, 'struct.get struct.get_s struct.get_u struct.set', K.u32x2, 'gc');
def(GC | 0x06, 'array.new array.new_default', K.u32, 'gc');
def(GC | 0x08, 'array.new_fixed array.new_data array.new_elem', K.u32x2, 'gc');
def(GC | 0x0b, 'array.get array.get_s array.get_u array.set', K.u32, 'gc');
def(GC | 0x0f, 'array.len', K.none, 'gc');
def(GC | 0x10, 'array.fill', K.u32, 'gc');
def(GC | 0x11, 'array.copy array.init_data array.init_elem', K.u32x2, 'gc');
def(GC | 0x14, 'ref.test ref.test ref.cast ref.cast', K.heapType, 'gc');
def(GC | 0x18, 'br_on_cast br_on_cast_fail', K.brOnCast, 'gc');
def(GC | 0x1a, 'any.convert_extern extern.convert_any ref.i31 i31.get_s i31.get_u', K.none, 'gc');

const MISC = 0xfc0000;
def(
  MISC,
  'i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u ' +
    'i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u',
  K.none,
  'saturating-float-to-int',
);
def(MISC | 0x08, 'memory.init', K.dataMem, 'bulk-memory');
def(MISC | 0x09, 'data.drop', K.u32, 'bulk-memory');
def(MISC | 0x0a, 'memory.copy', K.mem2, 'bulk-memory');
def(MISC | 0x0b, 'memory.fill', K.mem, 'bulk-memory');
def(MISC | 0x0c, 'table.init', K.indexTable, 'bulk-memory');
def(MISC | 0x0d, 'elem.drop', K.u32, 'bulk-memory');
def(MISC | 0x0e, 'table.copy', K.table2, 'bulk-memory');
def(MISC | 0x0f, 'table.grow table.size table.fill', K.u32, REF);

const SIMD = 0xfd0000;
def(
  SIMD,
  'v128.load v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s v128.load32x2_u ' +
    'v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat v128.store',
  K.memarg,
  'simd',
);
def(SIMD | 0x0c, 'v128.const', K.v128, 'simd');
def(SIMD | 0x0d, 'i8x16.shuffle', K.shuffle, 'simd');
def(
  SIMD | 0x0e,
  'i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat',
  K.none,
  'simd',
);
def(
  SIMD | 0x15,
  'i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane i16x8.extract_lane_s i16x8.extract_lane_u ' +
    'i16x8.replace_lane i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane ' +
    'f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane',
  K.lane,
  'simd',
);
def(
  SIMD | 0x23,
  'i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u ' +
    'i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u ' +
    'i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u ' +
    'f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge ' +
    'v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true',
  K.none,
  'simd',
);
def(
  SIMD | 0x54,
  'v128.load8_lane v128.load16_lane v128.load32_lane v128.load64_lane ' +
    'v128.store8_lane v128.store16_lane v128.store32_lane v128.store64_lane',
  K.memargLane,
  'simd',
);
def(SIMD | 0x5c, 'v128.load32_zero v128.load64_zero', K.memarg, 'simd');
def(
  SIMD | 0x5e,
  'f32x4.demote_f64x2_zero f64x2.promote_low_f32x4 ' +
    'i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u ' +
    'f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add ' +
    'i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u f64x2.ceil f64x2.floor ' +
    'i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u ' +
    'i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s ' +
    'i32x4.extadd_pairwise_i16x8_u ' +
    'i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask i16x8.narrow_i32x4_s ' +
    'i16x8.narrow_i32x4_u i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u ' +
    'i16x8.extend_high_i8x16_u i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u ' +
    'i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u f64x2.nearest i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s ' +
    'i16x8.max_u - i16x8.avgr_u i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u ' +
    'i16x8.extmul_high_i8x16_u ' +
    'i32x4.abs i32x4.neg - i32x4.all_true i32x4.bitmask - - i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s ' +
    'i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add - - ' +
    'i32x4.sub - - - i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s - ' +
    'i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u ' +
    'i64x2.abs i64x2.neg - i64x2.all_true i64x2.bitmask - - i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s ' +
    'i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add - - ' +
    'i64x2.sub - - - i64x2.mul i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s ' +
    'i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u ' +
    'f32x4.abs f32x4.neg - f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin ' +
    'f32x4.pmax f64x2.abs f64x2.neg - f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max ' +
    'f64x2.pmin f64x2.pmax i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s ' +
    'f32x4.convert_i32x4_u i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s ' +
    'f64x2.convert_low_i32x4_u',
  K.none,
  'simd',
);
def(
  SIMD | 0x100,
  'i8x16.relaxed_swizzle i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u ' +
    'i32x4.relaxed_trunc_f64x2_s_zero i32x4.relaxed_trunc_f64x2_u_zero f32x4.relaxed_madd f32x4.relaxed_nmadd ' +
    'f64x2.relaxed_madd f64x2.relaxed_nmadd i8x16.relaxed_laneselect i16x8.relaxed_laneselect ' +
    'i32x4.relaxed_laneselect i64x2.relaxed_laneselect f32x4.relaxed_min f32x4.relaxed_max f64x2.relaxed_min ' +
    'f64x2.relaxed_max i16x8.relaxed_q15mulr_s i16x8.relaxed_dot_i8x16_i7x16_s i32x4.relaxed_dot_i8x16_i7x16_add_s',
  K.none,
  'relaxed-simd',
);

const ATOMIC = 0xfe0000;
def(ATOMIC, 'memory.atomic.notify memory.atomic.wait32 memory.atomic.wait64', K.memarg, 'threads');
def(ATOMIC | 0x03, 'atomic.fence', K.zeroByte, 'threads');
def(
  ATOMIC | 0x10,
  'i32.atomic.load i64.atomic.load i32.atomic.load8_u i32.atomic.load16_u i64.atomic.load8_u i64.atomic.load16_u ' +
    'i64.atomic.load32_u i32.atomic.store i64.atomic.store i32.atomic.store8 i32.atomic.store16 ' +
    'i64.atomic.store8 i64.atomic.store16 i64.atomic.store32',
  K.memarg,
  'threads',
);
// Each read-modify-write operation comes in the same seven widths, in the same order.
['add', 'sub', 'and', 'or', 'xor', 'xchg', 'cmpxchg'].forEach((rmw, i) => {
  def(
    ATOMIC | (0x1e + 7 * i),
    `i32.atomic.rmw.${rmw} i64.atomic.rmw.${rmw} i32.atomic.rmw8.${rmw}_u i32.atomic.rmw16.${rmw}_u ` +
      `i64.atomic.rmw8.${rmw}_u i64.atomic.rmw16.${rmw}_u i64.atomic.rmw32.${rmw}_u`,
    K.memarg,
    'threads',
  );
});

/** The table entry for `op`, or undefined for an opcode no merged proposal defines. */
export function opcodeInfo(op: number): OpcodeInfo | undefined {
  return table.get(op);
}
