// AssemblyScript, compiled to WebAssembly by scripts/build-scanner.mts when the package builds and
// run by src/valid-code-scan.ts. It walks a code section that V8 has already validated and gathers
// what the checking walk (`scanExpression` in src/instructions.ts) reports besides validity: the
// features used and the instruction count. The same walk written in JavaScript ran at 0.73-1.07 ms
// per MiB of the synthetic bench module depending on how TurboFan happened to compile it; as
// WebAssembly it runs at about 0.5 ms, and the same on every run.
//
// The host writes the tables below from src/opcodes.ts before the first walk, so the opcode table
// has one source; the kind numbers are the `K` values of src/opcodes.ts (a test compares them).
// Memory past the input is never trusted: the host puts zero bytes after it, which end any LEB128,
// every vector length is checked against the bytes left, and a read out of memory traps, which the
// host takes as "give up".

/** kind | features << 8 for each single-byte opcode. */
export const ENTRY: usize = memory.data(256 * 4, 16);
/** Sub-opcodes per prefix in SUB_ENTRY; a higher one is unknown. */
export const SUB_LIMIT: u32 = 512;
/** The same for each sub-opcode of the prefixes 0xfb..0xfe, SUB_LIMIT entries per prefix (0 past a prefix's last). */
export const SUB_ENTRY: usize = memory.data(4 * SUB_LIMIT * 4, 16);
/** Features of a one-byte value type in a block type or `select`. */
export const VALTYPE_MASK: usize = memory.data(128 * 4, 16);
/** Features of a one-byte local type, as `valTypeFeatures` gives them; 0xffffffff for a byte that is no type. */
export const LOCAL_TYPE_MASK: usize = memory.data(128 * 4, 16);
/** Feature bits that immediates add, at the `BIT_` indices below (the host fills them in that order). */
export const FEATURE_BITS: usize = memory.data(8 * 4, 16);

const BIT_MULTI_VALUE = 0;
const BIT_MULTI_MEMORY = 1;
const BIT_MEMORY64 = 2;
const BIT_REFERENCE_TYPES = 3;
const BIT_FUNCTION_REFERENCES = 4;
const BIT_GC = 5;
const BIT_EXCEPTION_HANDLING = 6;

const K_UNKNOWN: u32 = 0;
const K_NONE: u32 = 1;
const K_U32: u32 = 2;
const K_U32X2: u32 = 3;
const K_MEM: u32 = 4;
const K_MEM2: u32 = 5;
const K_DATA_MEM: u32 = 6;
const K_INDEX_TABLE: u32 = 7;
const K_TABLE2: u32 = 8;
const K_BR_TABLE: u32 = 9;
const K_MEMARG: u32 = 10;
const K_MEMARG_LANE: u32 = 11;
const K_LANE: u32 = 12;
const K_I32: u32 = 13;
const K_I64: u32 = 14;
const K_F32: u32 = 15;
const K_F64: u32 = 16;
const K_V128: u32 = 17;
const K_SHUFFLE: u32 = 18;
const K_SELECT_TYPES: u32 = 19;
const K_HEAP_TYPE: u32 = 20;
const K_BR_ON_CAST: u32 = 21;
const K_ZERO_BYTE: u32 = 22;
const K_BLOCK: u32 = 23;
const K_IF: u32 = 24;
const K_TRY: u32 = 25;
const K_TRY_TABLE: u32 = 26;
const K_ELSE: u32 = 27;
const K_CATCH: u32 = 28;
const K_CATCH_ALL: u32 = 29;
const K_DELEGATE: u32 = 30;
const K_END: u32 = 31;
const K_PREFIX: u32 = 32;

/** Returned in place of a position: the bytes are not what the engine should have accepted. */
const GIVE_UP: usize = <usize>-1;

/** Where the host copies the code section: the first free byte, past the tables. */
export function inputAt(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Results of the last `scanCode`. */
export let instructions: u32 = 0;
export let featureMask: u32 = 0;

let unsignedValue: u64 = 0;
let signedValue: i64 = 0;
let entryMask: u32 = 0;
let immediateMask: u32 = 0;

function bit(index: i32): u32 {
  return load<u32>(FEATURE_BITS + ((<usize>index) << 2));
}

function unsignedAt(pos: usize): usize {
  let result: u64 = 0;
  let shift: u64 = 0;
  let b: u32;
  do {
    b = load<u8>(pos++);
    result |= (<u64>(b & 0x7f)) << shift;
    shift += 7;
  } while (b & 0x80);
  unsignedValue = shift > 70 ? <u64>-1 : result;
  return pos;
}

function signedAt(pos: usize): usize {
  let result: i64 = 0;
  let shift: u64 = 0;
  let b: u32;
  do {
    b = load<u8>(pos++);
    result |= (<i64>(b & 0x7f)) << shift;
    shift += 7;
  } while (b & 0x80);
  if (b & 0x40 && shift < 64) result |= (<i64>-1) << shift;
  signedValue = result;
  return pos;
}

function skipLeb(pos: usize): usize {
  while (load<u8>(pos++) & 0x80) {}
  return pos;
}

/** A vector length; GIVE_UP when that many items (a byte each at least) cannot fit before `end`. */
function lengthAt(pos: usize, end: usize): usize {
  pos = unsignedAt(pos);
  return pos > end || unsignedValue > <u64>(end - pos) ? GIVE_UP : pos;
}

/** A heap type into signedValue; GIVE_UP for an abstract one the checking walk does not know. */
function heapAt(pos: usize): usize {
  pos = signedAt(pos);
  const ht = signedValue;
  return ht < 0 && (ht + 0x80 < 0x69 || ht + 0x80 > 0x74) ? GIVE_UP : pos;
}

/** Features of `(ref null? ht)` in an instruction immediate, as `heapMask` in src/feature-masks.ts. */
function heapMask(ht: i64, nullable: bool): u32 {
  let m = ht >= 0 || !nullable ? bit(BIT_FUNCTION_REFERENCES) : bit(BIT_REFERENCE_TYPES);
  if (ht < 0 && ht !== 0x70 - 0x80 && ht !== 0x6f - 0x80) {
    m |= ht === 0x69 - 0x80 || ht === 0x74 - 0x80 ? bit(BIT_EXCEPTION_HANDLING) : bit(BIT_GC);
  }
  return m;
}

/** Features of `(ref null? ht)` as a local type, as `valTypeFeatures` in src/features.ts. */
function refLocalMask(ht: i64, nullable: bool): u32 {
  let m = ht >= 0 || !nullable ? bit(BIT_FUNCTION_REFERENCES) : bit(BIT_REFERENCE_TYPES);
  if (ht < 0 && ht !== 0x70 - 0x80 && ht !== 0x6f - 0x80)
    m |= ht === 0x69 - 0x80 ? bit(BIT_EXCEPTION_HANDLING) : bit(BIT_GC);
  return m;
}

/** A value type in `select` or a block type. */
function valTypeAt(pos: usize): usize {
  const t = <u32>load<u8>(pos);
  if (t === 0x63 || t === 0x64) {
    pos = heapAt(pos + 1);
    if (pos !== GIVE_UP) immediateMask |= heapMask(signedValue, t === 0x63);
    return pos;
  }
  if (t >= 0x80 || load<u32>(LOCAL_TYPE_MASK + ((<usize>t) << 2)) === 0xffffffff) return GIVE_UP;
  immediateMask |= load<u32>(VALTYPE_MASK + ((<usize>t) << 2));
  return pos + 1;
}

function blockTypeAt(pos: usize): usize {
  const t = <u32>load<u8>(pos);
  if (t === 0x40) return pos + 1;
  if (t >= 0x40 && t < 0x80) return valTypeAt(pos);
  pos = signedAt(pos);
  if (signedValue < 0) return GIVE_UP;
  immediateMask |= bit(BIT_MULTI_VALUE);
  return pos;
}

function memargAt(pos: usize): usize {
  pos = unsignedAt(pos);
  if (unsignedValue & 0x40) {
    immediateMask |= bit(BIT_MULTI_MEMORY);
    pos = skipLeb(pos);
  }
  pos = unsignedAt(pos);
  if (unsignedValue > 0xffffffff) immediateMask |= bit(BIT_MEMORY64);
  return pos;
}

/** An index whose non-zero value means a second memory or table. */
function indexAt(pos: usize, feature: u32): usize {
  pos = unsignedAt(pos);
  if (unsignedValue !== 0) immediateMask |= feature;
  return pos;
}

/** Local declarations; their features go to immediateMask. */
function localsAt(pos: usize, end: usize): usize {
  pos = lengthAt(pos, end);
  if (pos === GIVE_UP) return GIVE_UP;
  for (let groups = unsignedValue; groups > 0; groups--) {
    pos = skipLeb(pos);
    const t = <u32>load<u8>(pos);
    if (t === 0x63 || t === 0x64) {
      pos = heapAt(pos + 1);
      if (pos === GIVE_UP) return GIVE_UP;
      immediateMask |= refLocalMask(signedValue, t === 0x63);
      continue;
    }
    if (t >= 0x80) return GIVE_UP;
    const m = load<u32>(LOCAL_TYPE_MASK + ((<usize>t) << 2));
    if (m === 0xffffffff) return GIVE_UP;
    immediateMask |= m;
    pos++;
  }
  return pos;
}

/** Immediates of the kinds that are rare in compiled code. */
function rareImmediatesAt(pos: usize, end: usize, kind: u32): usize {
  switch (kind) {
    case K_MEM:
      return indexAt(pos, bit(BIT_MULTI_MEMORY));
    case K_MEM2:
      return indexAt(indexAt(pos, bit(BIT_MULTI_MEMORY)), bit(BIT_MULTI_MEMORY));
    case K_TABLE2:
      return indexAt(indexAt(pos, bit(BIT_REFERENCE_TYPES)), bit(BIT_REFERENCE_TYPES));
    case K_DATA_MEM:
      return indexAt(skipLeb(pos), bit(BIT_MULTI_MEMORY));
    case K_INDEX_TABLE:
      return indexAt(skipLeb(pos), bit(BIT_REFERENCE_TYPES));
    case K_MEMARG_LANE:
      return memargAt(pos) + 1;
    case K_V128:
    case K_SHUFFLE:
      return pos + 16;
    case K_SELECT_TYPES: {
      pos = lengthAt(pos, end);
      for (let n = unsignedValue; n > 0 && pos !== GIVE_UP; n--) pos = valTypeAt(pos);
      return pos;
    }
    case K_HEAP_TYPE:
      pos = heapAt(pos);
      if (pos !== GIVE_UP) immediateMask |= heapMask(signedValue, true);
      return pos;
    case K_BR_ON_CAST:
      pos = heapAt(skipLeb(pos + 1));
      return pos === GIVE_UP ? GIVE_UP : heapAt(pos);
    case K_TRY_TABLE: {
      pos = blockTypeAt(pos);
      if (pos !== GIVE_UP) pos = lengthAt(pos, end);
      if (pos === GIVE_UP) return GIVE_UP;
      for (let n = unsignedValue; n > 0; n--) {
        const k = <u32>load<u8>(pos);
        pos = skipLeb(pos + 1);
        if (k < 2) pos = skipLeb(pos);
      }
      return pos;
    }
    default:
      return GIVE_UP;
  }
}

// Set by commonRunAt on its way out: the instructions it walked.
let runCount: i32 = 0;

/**
 * Walks the instructions that make up nearly all compiled code (over 99% of two real modules built
 * by rustc and clang), from `pos` until `end` or the first instruction of another kind, and returns
 * where it stopped. Keeping the other kinds out of this loop, even behind a call, made it about a
 * fifth faster: TurboFan then keeps the loop's state in registers.
 */
function commonRunAt(pos: usize, end: usize): usize {
  let count: i32 = 0;
  let mask: u32 = 0;
  while (pos < end) {
    const start = pos;
    const e = load<u32>(ENTRY + ((<usize>load<u8>(pos)) << 2));
    switch (e & 0xff) {
      case K_NONE:
      case K_ELSE:
      case K_CATCH_ALL:
      case K_END:
        pos += 1;
        break;
      case K_U32:
      case K_I32:
      case K_I64:
      case K_CATCH:
      case K_DELEGATE:
        pos = skipLeb(pos + 1);
        break;
      case K_U32X2:
        pos = skipLeb(skipLeb(pos + 1));
        break;
      case K_MEMARG:
        // Memory 0 (no bit 6 in the alignment flags) and an offset of up to four bytes (not memory64).
        if (load<u8>(pos + 1) >= 0x40) {
          runCount = count;
          entryMask |= mask;
          return pos;
        }
        pos = skipLeb(pos + 2);
        if (pos - start >= 7) {
          runCount = count;
          entryMask |= mask;
          return start;
        }
        break;
      case K_LANE:
      case K_ZERO_BYTE:
        pos += 2;
        break;
      case K_F32:
        pos += 5;
        break;
      case K_F64:
        pos += 9;
        break;
      case K_BLOCK:
      case K_IF:
      case K_TRY:
        if (load<u8>(pos + 1) !== 0x40) {
          runCount = count;
          entryMask |= mask;
          return pos;
        }
        pos += 2;
        break;
      default:
        runCount = count;
        entryMask |= mask;
        return pos;
    }
    mask |= e;
    count++;
  }
  runCount = count;
  entryMask |= mask;
  return pos;
}

/** Walks one instruction of any kind; returns the next position or GIVE_UP. */
function anyInstructionAt(pos: usize, end: usize): usize {
  const b = <u32>load<u8>(pos++);
  let e = load<u32>(ENTRY + ((<usize>b) << 2));
  if ((e & 0xff) === K_PREFIX) {
    pos = unsignedAt(pos);
    if (unsignedValue >= SUB_LIMIT) return GIVE_UP;
    e = load<u32>(SUB_ENTRY + ((<usize>((b - 0xfb) * SUB_LIMIT + <u32>unsignedValue)) << 2));
  }
  entryMask |= e;
  const kind = e & 0xff;
  switch (kind) {
    case K_UNKNOWN:
      return GIVE_UP;
    case K_NONE:
    case K_ELSE:
    case K_CATCH_ALL:
    case K_END:
      return pos;
    case K_U32:
    case K_I32:
    case K_I64:
    case K_CATCH:
    case K_DELEGATE:
      return skipLeb(pos);
    case K_U32X2:
      return skipLeb(skipLeb(pos));
    case K_BR_TABLE: {
      pos = lengthAt(pos, end);
      if (pos === GIVE_UP) return GIVE_UP;
      for (let n = unsignedValue; n !== <u64>-1; n--) pos = skipLeb(pos);
      return pos;
    }
    case K_MEMARG:
      return memargAt(pos);
    case K_LANE:
    case K_ZERO_BYTE:
      return pos + 1;
    case K_F32:
      return pos + 4;
    case K_F64:
      return pos + 8;
    case K_BLOCK:
    case K_IF:
    case K_TRY:
      return blockTypeAt(pos);
    default:
      return rareImmediatesAt(pos, end, kind);
  }
}

/** Counts the instructions of one body's expression (`pos` to `end`); -1 to give up. */
function instructionsAt(pos: usize, end: usize): i32 {
  let count: i32 = 0;
  for (;;) {
    pos = commonRunAt(pos, end);
    count += runCount;
    if (pos >= end) break;
    pos = anyInstructionAt(pos, end);
    if (pos === GIVE_UP) return -1;
    count++;
  }
  // The checking walk stops at the `end` that closes the body; the engine has checked it is the last byte.
  return pos === end && load<u8>(end - 1) === 0x0b ? count : -1;
}

/**
 * Walks the code section payload the host copied to `inputAt()` (`length` bytes). Returns the
 * number of function bodies and sets `instructions` and `featureMask` (opcode and immediate
 * features, locals included); returns -1 to give up, and the host runs the checking walk.
 */
export function scanCode(length: usize): i32 {
  const start = inputAt();
  const end = start + length;
  entryMask = 0;
  immediateMask = 0;
  let total: i32 = 0;
  let pos = lengthAt(start, end);
  if (pos === GIVE_UP) return -1;
  const bodies = <i32>unsignedValue;
  for (let i = 0; i < bodies; i++) {
    pos = unsignedAt(pos);
    if (pos > end || unsignedValue > <u64>(end - pos)) return -1;
    const bodyEnd = pos + <usize>unsignedValue;
    pos = localsAt(pos, bodyEnd);
    if (pos === GIVE_UP || pos > bodyEnd) return -1;
    const count = instructionsAt(pos, bodyEnd);
    if (count < 0) return -1;
    total += count;
    pos = bodyEnd;
  }
  if (pos !== end) return -1;
  instructions = <u32>total;
  featureMask = (entryMask >>> 8) | immediateMask;
  return bodies;
}
