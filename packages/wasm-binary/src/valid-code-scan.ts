import * as masks from './feature-masks.js';
import { valTypeFeatures } from './features.js';
import type { Feature } from './opcodes.js';
import * as opcodes from './opcodes.js';
import { ValTypeCode } from './types.js';

// Module-local copies, for the same reason as in instructions.ts: loaders that rewrite ESM turn
// imported bindings into getter calls.
const { featureMaskOf, heapMask, MEMORY64, MULTI_MEMORY, MULTI_VALUE, REF_TYPES, VALTYPE_MASK } = masks;
const K = { ...opcodes.K } as const;

/** What `scanValidCode` gathers from a code section. */
export interface ValidCodeScan {
  /** Number of function bodies. */
  bodies: number;
  instructions: number;
  /** Features used, as a mask over `FEATURES` (locals included). */
  featureMask: number;
}

// One load per instruction: the kind in the low byte, the opcode's feature mask above it.
const ENTRY = new Int32Array(256);
for (let b = 0; b < 256; b++) ENTRY[b] = (opcodes.KIND1[b] as number) | ((opcodes.FEAT1[b] as number) << 8);
const SUB_ENTRY: readonly Int32Array[] = opcodes.SUB_KIND.map((kinds, i) => {
  const feats = opcodes.SUB_FEAT[i] as Uint32Array;
  return Int32Array.from(kinds, (kind, sub) => kind | ((feats[sub] as number) << 8));
});
const PREFIX = K.prefix;

/** Features of a one-byte local type, taken from `valTypeFeatures` so that both paths agree; -1 for a byte that is no type. */
const LOCAL_TYPE_MASK = new Int32Array(256).fill(-1);
for (const code of Object.values(ValTypeCode)) LOCAL_TYPE_MASK[code] = maskOf((f) => valTypeFeatures(code, f));

function maskOf(collect: (features: Set<Feature>) => void): number {
  const features = new Set<Feature>();
  collect(features);
  return featureMaskOf(features);
}

/** Returned by the helpers below in place of a position: the bytes are not what the engine should have accepted. */
const GIVE_UP = -1;

// The helpers return the new position and leave a LEB's value, or the features an immediate adds, here.
let lebValue = 0;
let immediateMask = 0;

/**
 * Reads a LEB128 without bounds checks: the engine has checked them. Past the end of `bytes` a read
 * yields undefined, which the bit operations treat as 0, so even bad input ends the loop.
 */
function unsignedAt(bytes: Uint8Array, pos: number): number {
  let result = 0;
  let mul = 1;
  let b: number;
  do {
    b = bytes[pos++] as number;
    result += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  lebValue = result;
  return pos;
}

function signedAt(bytes: Uint8Array, pos: number): number {
  let result = 0;
  let mul = 1;
  let b: number;
  do {
    b = bytes[pos++] as number;
    result += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  lebValue = b & 0x40 ? result - mul : result;
  return pos;
}

/** A vector length; GIVE_UP when that many items (a byte each at least) cannot fit before `end`, so bad input cannot loop for long. */
function lengthAt(bytes: Uint8Array, pos: number, end: number): number {
  pos = unsignedAt(bytes, pos);
  return lebValue > end - pos ? GIVE_UP : pos;
}

function skipLeb(bytes: Uint8Array, pos: number): number {
  while ((bytes[pos++] as number) & 0x80);
  return pos;
}

/** A heap type; GIVE_UP for an abstract one the checking scanner does not know. */
function heapAt(bytes: Uint8Array, pos: number): number {
  pos = signedAt(bytes, pos);
  const ht = lebValue;
  return ht < 0 && (ht + 0x80 < 0x69 || ht + 0x80 > 0x74) ? GIVE_UP : pos;
}

/** A value type in `select` or a block type, with the same features as the checking scanner. */
function valTypeAt(bytes: Uint8Array, pos: number): number {
  const t = bytes[pos] as number;
  if (t === 0x63 || t === 0x64) {
    pos = heapAt(bytes, pos + 1);
    if (pos !== GIVE_UP) immediateMask |= heapMask(lebValue, t === 0x63);
    return pos;
  }
  if (!(t < 0x80 && LOCAL_TYPE_MASK[t] !== -1)) return GIVE_UP;
  immediateMask |= VALTYPE_MASK[t] as number;
  return pos + 1;
}

function blockTypeAt(bytes: Uint8Array, pos: number): number {
  const t = bytes[pos] as number;
  if (t === 0x40) return pos + 1;
  if (t >= 0x40 && t < 0x80) return valTypeAt(bytes, pos);
  pos = signedAt(bytes, pos);
  if (lebValue < 0) return GIVE_UP;
  immediateMask |= MULTI_VALUE;
  return pos;
}

function memargAt(bytes: Uint8Array, pos: number): number {
  pos = unsignedAt(bytes, pos);
  if (lebValue & 0x40) {
    immediateMask |= MULTI_MEMORY;
    pos = skipLeb(bytes, pos);
  }
  pos = unsignedAt(bytes, pos);
  if (lebValue > 0xffffffff) immediateMask |= MEMORY64;
  return pos;
}

/** An index immediate whose non-zero value means `feature` (a second memory or table). */
function indexAt(bytes: Uint8Array, pos: number, feature: number): number {
  pos = unsignedAt(bytes, pos);
  if (lebValue !== 0) immediateMask |= feature;
  return pos;
}

/** Local declarations; their features go to `immediateMask`. */
function localsAt(bytes: Uint8Array, pos: number, end: number): number {
  pos = lengthAt(bytes, pos, end);
  if (pos === GIVE_UP) return GIVE_UP;
  for (let groups = lebValue; groups > 0; groups--) {
    pos = skipLeb(bytes, pos);
    const t = bytes[pos] as number;
    if (t === 0x63 || t === 0x64) {
      pos = heapAt(bytes, pos + 1);
      if (pos === GIVE_UP) return GIVE_UP;
      const type = { nullable: t === 0x63, heap: lebValue };
      immediateMask |= maskOf((f) => valTypeFeatures(type, f));
      continue;
    }
    const m = LOCAL_TYPE_MASK[t] as number;
    if (m === -1) return GIVE_UP;
    immediateMask |= m;
    pos++;
  }
  return pos;
}

/**
 * Immediates of the instructions that are rare in compiled code, kept out of the main loop so that
 * it stays small. Returns the new position or GIVE_UP.
 */
function rareImmediatesAt(bytes: Uint8Array, pos: number, end: number, kind: number): number {
  switch (kind) {
    case K.mem:
      return indexAt(bytes, pos, MULTI_MEMORY);
    case K.mem2:
      return indexAt(bytes, indexAt(bytes, pos, MULTI_MEMORY), MULTI_MEMORY);
    case K.table2:
      return indexAt(bytes, indexAt(bytes, pos, REF_TYPES), REF_TYPES);
    case K.dataMem:
      return indexAt(bytes, skipLeb(bytes, pos), MULTI_MEMORY);
    case K.indexTable:
      return indexAt(bytes, skipLeb(bytes, pos), REF_TYPES);
    case K.brTable: {
      pos = lengthAt(bytes, pos, end);
      if (pos === GIVE_UP) return GIVE_UP;
      for (let n = lebValue; n >= 0; n--) pos = skipLeb(bytes, pos);
      return pos;
    }
    case K.memargLane:
      return memargAt(bytes, pos) + 1;
    case K.v128:
    case K.shuffle:
      return pos + 16;
    case K.selectTypes: {
      pos = lengthAt(bytes, pos, end);
      if (pos === GIVE_UP) return GIVE_UP;
      for (let n = lebValue; n > 0 && pos !== GIVE_UP; n--) pos = valTypeAt(bytes, pos);
      return pos;
    }
    case K.heapType:
      pos = heapAt(bytes, pos);
      if (pos !== GIVE_UP) immediateMask |= heapMask(lebValue, true);
      return pos;
    case K.brOnCast: {
      pos = heapAt(bytes, skipLeb(bytes, pos + 1));
      return pos === GIVE_UP ? GIVE_UP : heapAt(bytes, pos);
    }
    case K.tryTable: {
      pos = blockTypeAt(bytes, pos);
      pos = pos === GIVE_UP ? GIVE_UP : lengthAt(bytes, pos, end);
      if (pos === GIVE_UP) return GIVE_UP;
      for (let n = lebValue; n > 0; n--) {
        const k = bytes[pos] as number;
        pos = skipLeb(bytes, pos + 1);
        if (k < 2) pos = skipLeb(bytes, pos);
      }
      return pos;
    }
    default:
      return GIVE_UP;
  }
}

// The opcode entries of every instruction walked, ORed (the feature bits sit above the kind byte).
let entryMask = 0;

/** The rest of a memarg offset after its first byte: past 32 bits only with five bytes or more (memory64). */
function offsetTailAt(bytes: Uint8Array, pos: number): number {
  const start = pos - 1;
  while ((bytes[pos++] as number) & 0x80);
  if (pos - start >= 5) {
    unsignedAt(bytes, start);
    if (lebValue > 0xffffffff) immediateMask |= MEMORY64;
  }
  return pos;
}

/**
 * The common tier: counts the instructions of one body's expression (`pos` to `end`) when they are
 * all of the kinds that make up nearly all compiled code, and returns GIVE_UP at the first other
 * one, so that the caller walks the body again with `anyInstructionsAt`. Keeping every other kind
 * out of this loop, even behind a call, measurably speeds it up under TurboFan.
 */
function commonInstructionsAt(bytes: Uint8Array, pos: number, end: number): number {
  let count = 0;
  let mask = 0;
  while (pos < end) {
    const e = ENTRY[bytes[pos++] as number] as number;
    mask |= e;
    count++;
    // Literal cases, as in scanExpression: a jump table.
    switch (e & 0xff) {
      case 1 /* none */:
      case 27 /* else */:
      case 29 /* catchAll */:
      case 31 /* end */:
        break;
      case 2 /* u32 */:
      case 13 /* i32 */:
      case 14 /* i64 */:
      case 28 /* catch */:
      case 30 /* delegate */:
        while ((bytes[pos++] as number) & 0x80);
        break;
      case 3 /* u32x2 */:
        while ((bytes[pos++] as number) & 0x80);
        while ((bytes[pos++] as number) & 0x80);
        break;
      case 9 /* brTable */:
        pos = unsignedAt(bytes, pos);
        if (lebValue > end - pos) return GIVE_UP;
        for (let n = lebValue; n >= 0; n--) while ((bytes[pos++] as number) & 0x80);
        break;
      case 10 /* memarg */:
        // Alignment flags without a memory index (bit 6), then the offset.
        if ((bytes[pos] as number) >= 0x40) return GIVE_UP;
        if ((bytes[pos + 1] as number) & 0x80) pos = offsetTailAt(bytes, pos + 2);
        else pos += 2;
        break;
      case 12 /* lane */:
      case 22 /* zeroByte */:
        pos++;
        break;
      case 15 /* f32 */:
        pos += 4;
        break;
      case 16 /* f64 */:
        pos += 8;
        break;
      case 23 /* block */:
      case 24 /* if */:
      case 25 /* try */:
        if (bytes[pos] !== 0x40) return GIVE_UP;
        pos++;
        break;
      default:
        return GIVE_UP;
    }
  }
  entryMask |= mask;
  return count;
}

/** Walks one instruction of any kind; returns the next position or GIVE_UP. */
function anyInstructionAt(bytes: Uint8Array, pos: number, end: number): number {
  const b = bytes[pos++] as number;
  let e = ENTRY[b] as number;
  if (e === PREFIX) {
    pos = unsignedAt(bytes, pos);
    const table = SUB_ENTRY[b - 0xfb] as Int32Array;
    e = lebValue < table.length ? (table[lebValue] as number) : 0;
  }
  entryMask |= e;
  const kind = e & 0xff;
  switch (kind) {
    case K.unknown:
      return GIVE_UP;
    case K.none:
    case K.else:
    case K.catchAll:
    case K.end:
      return pos;
    case K.u32:
    case K.i32:
    case K.i64:
    case K.catch:
    case K.delegate:
      return skipLeb(bytes, pos);
    case K.u32x2:
      return skipLeb(bytes, skipLeb(bytes, pos));
    case K.memarg:
      return memargAt(bytes, pos);
    case K.lane:
    case K.zeroByte:
      return pos + 1;
    case K.f32:
      return pos + 4;
    case K.f64:
      return pos + 8;
    case K.block:
    case K.if:
    case K.try:
      return blockTypeAt(bytes, pos);
    default:
      return rareImmediatesAt(bytes, pos, end, kind);
  }
}

/** The general tier: counts the instructions of one body's expression, any kind, one call each. */
function anyInstructionsAt(bytes: Uint8Array, pos: number, end: number): number {
  let count = 0;
  while (pos < end) {
    pos = anyInstructionAt(bytes, pos, end);
    if (pos === GIVE_UP) return GIVE_UP;
    count++;
  }
  return pos === end ? count : GIVE_UP;
}

/**
 * Walks a code section (`start` to `end`: the payload) that the engine has already validated, and
 * gathers what `scanExpression` reports besides validity: features and instruction counts. It skips
 * the nesting checks and the error reporting, which makes it about twice as fast, and never throws.
 * On anything the engine should not have accepted, or the checking scanner would not, it returns
 * undefined and the caller runs the checking scanner, which then reports the problem.
 */
export function scanValidCode(bytes: Uint8Array, start: number, end: number): ValidCodeScan | undefined {
  immediateMask = 0;
  entryMask = 0;
  let pos = lengthAt(bytes, start, end);
  if (pos === GIVE_UP) return undefined;
  const bodies = lebValue;
  let instructions = 0;
  for (let i = 0; i < bodies; i++) {
    pos = unsignedAt(bytes, pos);
    const bodyEnd = pos + lebValue;
    if (bodyEnd > end) return undefined;
    pos = localsAt(bytes, pos, bodyEnd);
    if (pos === GIVE_UP || pos > bodyEnd) return undefined;
    let count = commonInstructionsAt(bytes, pos, bodyEnd);
    if (count === GIVE_UP) count = anyInstructionsAt(bytes, pos, bodyEnd);
    // The checking scanner stops at the `end` that closes the body; the engine has checked that it is the last byte.
    if (count === GIVE_UP || bytes[bodyEnd - 1] !== 0x0b) return undefined;
    instructions += count;
    pos = bodyEnd;
  }
  if (pos !== end) return undefined;
  return { bodies, instructions, featureMask: (entryMask >>> 8) | immediateMask };
}
