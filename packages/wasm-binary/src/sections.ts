import type { Instruction } from './instructions.js';
import { decodeExpression, encodeExpression } from './instructions.js';
import type { BinaryReader, LebHints } from './reader.js';
import type { StorageType, ValType } from './types.js';
import { readStorageType, readValType, refTypeOf, writeValType } from './types.js';
import type { BinaryWriter } from './writer.js';

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;
export type SectionName = keyof typeof SectionId;
export const SECTION_NAMES: readonly SectionName[] = Object.keys(SectionId) as SectionName[];

/** Where each known section may appear: sections must come in increasing rank (tag sits between memory and global). */
export const SECTION_RANK: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};

export const ExternalKind = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;
export type ExternalKindName = keyof typeof ExternalKind;
export const EXTERNAL_KIND_NAMES: readonly ExternalKindName[] = ['func', 'table', 'memory', 'global', 'tag'];

export interface FuncType {
  readonly kind: 'func';
  params: ValType[];
  results: ValType[];
}
export interface FieldType {
  type: StorageType;
  mutable: boolean;
}
export interface StructType {
  readonly kind: 'struct';
  fields: FieldType[];
}
export interface ArrayType {
  readonly kind: 'array';
  field: FieldType;
}
export type CompositeType = FuncType | StructType | ArrayType;
/** A GC subtype; `prefix` is the byte that introduced it (0x50 sub, 0x4f sub final) or undefined for a bare type. */
export interface SubType {
  prefix: 0x50 | 0x4f | undefined;
  supertypes: number[];
  type: CompositeType;
}
/** A recursion group; `explicit` when written with 0x4e, otherwise a group of one. */
export interface RecGroup {
  explicit: boolean;
  types: SubType[];
}

/** Limits with their flag byte: bit 0 has-max, bit 1 shared, bit 2 64-bit index, bit 3 custom page size. */
export interface Limits {
  flags: number;
  min: number;
  max: number | undefined;
  pageSizeLog2: number | undefined;
}
export interface TableType {
  refType: ValType;
  limits: Limits;
}
export interface GlobalType {
  type: ValType;
  mutable: boolean;
}
export interface TagType {
  attribute: number;
  typeIndex: number;
}

export type ImportDesc =
  | { kind: 'func'; typeIndex: number }
  | { kind: 'table'; table: TableType }
  | { kind: 'memory'; limits: Limits }
  | { kind: 'global'; global: GlobalType }
  | { kind: 'tag'; tag: TagType };
export interface Import {
  module: string;
  name: string;
  desc: ImportDesc;
}
export interface Export {
  name: string;
  kind: ExternalKindName;
  index: number;
}
export interface Table {
  type: TableType;
  /** Present for the `0x40 0x00` form that carries an initializer expression. */
  init: Instruction[] | undefined;
}
export interface Global {
  type: GlobalType;
  init: Instruction[];
}
/**
 * An element segment in one of its eight encodings (`flags` 0-7): bit 0 passive/declarative,
 * bit 1 explicit table index (active) or declarative (otherwise), bit 2 expressions instead of indices.
 */
export interface ElementSegment {
  flags: number;
  table: number | undefined;
  offset: Instruction[] | undefined;
  /** The elemkind byte (flags 1-3, 0x00 = funcref) or the reference type (flags 5-7). */
  elemType: ValType | undefined;
  funcs: number[] | undefined;
  exprs: Instruction[][] | undefined;
}
export interface DataSegment {
  flags: number;
  memory: number | undefined;
  offset: Instruction[] | undefined;
  data: Uint8Array;
}
export interface LocalDecl {
  count: number;
  type: ValType;
}
export interface FunctionBody {
  locals: LocalDecl[];
  code: Instruction[];
  hints?: LebHints;
}

interface SectionBase {
  /** Width of the section-size LEB when the original was padded. */
  sizeWidth?: number;
  hints?: LebHints;
}
export type Section =
  | (SectionBase & { id: 'custom'; name: string; data: Uint8Array })
  | (SectionBase & { id: 'type'; groups: RecGroup[] })
  | (SectionBase & { id: 'import'; imports: Import[] })
  | (SectionBase & { id: 'function'; typeIndices: number[] })
  | (SectionBase & { id: 'table'; tables: Table[] })
  | (SectionBase & { id: 'memory'; memories: Limits[] })
  | (SectionBase & { id: 'tag'; tags: TagType[] })
  | (SectionBase & { id: 'global'; globals: Global[] })
  | (SectionBase & { id: 'export'; exports: Export[] })
  | (SectionBase & { id: 'start'; funcIndex: number })
  | (SectionBase & { id: 'element'; segments: ElementSegment[] })
  | (SectionBase & { id: 'dataCount'; count: number })
  | (SectionBase & { id: 'code'; bodies: FunctionBody[] })
  | (SectionBase & { id: 'data'; segments: DataSegment[] });
export type SectionOf<K extends Section['id']> = Extract<Section, { id: K }>;

function vec<T>(r: BinaryReader, what: string, item: () => T, minBytes = 1): T[] {
  const n = r.count(what, minBytes);
  const out: T[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = item();
  return out;
}

function writeVec<T>(w: BinaryWriter, items: readonly T[], item: (x: T) => void): void {
  w.u32(items.length);
  for (const x of items) item(x);
}

function readFieldType(r: BinaryReader): FieldType {
  const type = readStorageType(r);
  const m = r.u8('a mutability flag');
  if (m > 1) r.fail('a mutability flag (0 or 1)', `got 0x${m.toString(16)}`, r.pos - 1);
  return { type, mutable: m === 1 };
}

function readCompositeType(r: BinaryReader): CompositeType {
  const start = r.pos;
  const form = r.u8('a type form');
  switch (form) {
    case 0x60:
      return {
        kind: 'func',
        params: vec(r, 'parameter', () => readValType(r)),
        results: vec(r, 'result', () => readValType(r)),
      };
    case 0x5f:
      return { kind: 'struct', fields: vec(r, 'struct field', () => readFieldType(r), 2) };
    case 0x5e:
      return { kind: 'array', field: readFieldType(r) };
    default:
      return r.fail('a function, struct or array type (0x60, 0x5f, 0x5e)', `got 0x${form.toString(16)}`, start);
  }
}

function readSubType(r: BinaryReader): SubType {
  const b = r.peek();
  if (b === 0x50 || b === 0x4f) {
    r.pos++;
    const supertypes = vec(r, 'supertype', () => r.u32('a type index'));
    return { prefix: b, supertypes, type: readCompositeType(r) };
  }
  return { prefix: undefined, supertypes: [], type: readCompositeType(r) };
}

function readRecGroup(r: BinaryReader): RecGroup {
  if (r.peek() === 0x4e) {
    r.pos++;
    return { explicit: true, types: vec(r, 'recursive type', () => readSubType(r)) };
  }
  return { explicit: false, types: [readSubType(r)] };
}

function writeFieldType(w: BinaryWriter, f: FieldType): void {
  writeValType(w, f.type);
  w.u8(f.mutable ? 1 : 0);
}

function writeCompositeType(w: BinaryWriter, t: CompositeType): void {
  if (t.kind === 'func') {
    w.u8(0x60);
    writeVec(w, t.params, (p) => writeValType(w, p));
    writeVec(w, t.results, (p) => writeValType(w, p));
  } else if (t.kind === 'struct') {
    w.u8(0x5f);
    writeVec(w, t.fields, (f) => writeFieldType(w, f));
  } else {
    w.u8(0x5e);
    writeFieldType(w, t.field);
  }
}

function writeSubType(w: BinaryWriter, s: SubType): void {
  if (s.prefix !== undefined) {
    w.u8(s.prefix);
    writeVec(w, s.supertypes, (i) => w.u32(i));
  }
  writeCompositeType(w, s.type);
}

export function readLimits(r: BinaryReader, what: 'memory' | 'table'): Limits {
  const start = r.pos;
  const flags = r.u8(`${what} limits flags`);
  const allowed = what === 'memory' ? 0x0f : 0x05;
  if (flags & ~allowed) {
    r.fail(`valid ${what} limits flags`, `got 0x${flags.toString(16)}`, start);
  }
  const is64 = (flags & 0x04) !== 0;
  const readBound = (label: string): number => {
    if (!is64) return r.u32(label);
    const at = r.pos;
    const v = r.u64(label);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(label, 'limit too large', at);
    return Number(v);
  };
  const min = readBound(`${what} minimum`);
  const max = flags & 0x01 ? readBound(`${what} maximum`) : undefined;
  const pageSizeLog2 = flags & 0x08 ? r.u32('page size') : undefined;
  return { flags, min, max, pageSizeLog2 };
}

export function writeLimits(w: BinaryWriter, l: Limits): void {
  w.u8(l.flags);
  const is64 = (l.flags & 0x04) !== 0;
  const bound = (v: number) => (is64 ? w.u64(BigInt(v)) : w.u32(v));
  bound(l.min);
  if (l.max !== undefined) bound(l.max);
  if (l.pageSizeLog2 !== undefined) w.u32(l.pageSizeLog2);
}

function readTableType(r: BinaryReader): TableType {
  const at = r.pos;
  const refType = readValType(r, 'a table element type');
  if (refTypeOf(refType) === undefined)
    r.fail('a reference type for the table elements', `got 0x${(refType as number).toString(16)}`, at);
  return { refType, limits: readLimits(r, 'table') };
}

function writeTableType(w: BinaryWriter, t: TableType): void {
  writeValType(w, t.refType);
  writeLimits(w, t.limits);
}

function readGlobalType(r: BinaryReader): GlobalType {
  const type = readValType(r);
  const m = r.u8('a mutability flag');
  if (m > 1) r.fail('a mutability flag (0 or 1)', `got 0x${m.toString(16)}`, r.pos - 1);
  return { type, mutable: m === 1 };
}

function readTagType(r: BinaryReader): TagType {
  const at = r.pos;
  const attribute = r.u8('a tag attribute');
  if (attribute !== 0) r.fail('tag attribute 0 (exception)', `got ${attribute}`, at);
  return { attribute, typeIndex: r.u32('a type index') };
}

function readImport(r: BinaryReader): Import {
  const module = r.name('an import module name');
  const name = r.name('an import name');
  const at = r.pos;
  const kind = r.u8('an import kind');
  switch (kind) {
    case 0:
      return { module, name, desc: { kind: 'func', typeIndex: r.u32('a type index') } };
    case 1:
      return { module, name, desc: { kind: 'table', table: readTableType(r) } };
    case 2:
      return { module, name, desc: { kind: 'memory', limits: readLimits(r, 'memory') } };
    case 3:
      return { module, name, desc: { kind: 'global', global: readGlobalType(r) } };
    case 4:
      return { module, name, desc: { kind: 'tag', tag: readTagType(r) } };
    default:
      return r.fail('an import kind (0-4)', `got 0x${kind.toString(16)}`, at);
  }
}

function writeImport(w: BinaryWriter, imp: Import): void {
  w.name(imp.module);
  w.name(imp.name);
  const d = imp.desc;
  w.u8(ExternalKind[d.kind]);
  if (d.kind === 'func') w.u32(d.typeIndex);
  else if (d.kind === 'table') writeTableType(w, d.table);
  else if (d.kind === 'memory') writeLimits(w, d.limits);
  else if (d.kind === 'global') {
    writeValType(w, d.global.type);
    w.u8(d.global.mutable ? 1 : 0);
  } else {
    w.u8(d.tag.attribute);
    w.u32(d.tag.typeIndex);
  }
}

function readTable(r: BinaryReader): Table {
  if (r.peek() === 0x40) {
    const at = r.pos;
    r.pos++;
    if (r.u8('a reserved byte') !== 0) r.fail('0x00 after 0x40 in a table definition', undefined, at + 1);
    const type = readTableType(r);
    return { type, init: decodeExpression(r) };
  }
  return { type: readTableType(r), init: undefined };
}

function writeTable(w: BinaryWriter, t: Table): void {
  if (t.init) {
    w.u8(0x40);
    w.u8(0x00);
    writeTableType(w, t.type);
    encodeExpression(w, t.init);
  } else writeTableType(w, t.type);
}

function readElement(r: BinaryReader): ElementSegment {
  const at = r.pos;
  const flags = r.u32('element segment flags');
  if (flags > 7) r.fail('element segment flags 0-7', `got ${flags}`, at);
  const passiveOrDeclarative = (flags & 1) !== 0;
  const explicitTable = (flags & 2) !== 0;
  const usesExprs = (flags & 4) !== 0;
  const seg: ElementSegment = {
    flags,
    table: undefined,
    offset: undefined,
    elemType: undefined,
    funcs: undefined,
    exprs: undefined,
  };
  if (!passiveOrDeclarative) {
    if (explicitTable) seg.table = r.u32('a table index');
    seg.offset = decodeExpression(r);
  }
  if (passiveOrDeclarative || explicitTable) {
    if (usesExprs) seg.elemType = readValType(r, 'an element reference type');
    else {
      const kindAt = r.pos;
      const kind = r.u8('an element kind');
      if (kind !== 0) r.fail('element kind 0x00 (funcref)', `got 0x${kind.toString(16)}`, kindAt);
      seg.elemType = kind;
    }
  }
  if (usesExprs) seg.exprs = vec(r, 'element expression', () => decodeExpression(r));
  else seg.funcs = vec(r, 'element function index', () => r.u32('a function index'));
  return seg;
}

function writeElement(w: BinaryWriter, s: ElementSegment): void {
  w.u32(s.flags);
  if (s.table !== undefined) w.u32(s.table);
  if (s.offset) encodeExpression(w, s.offset);
  if (s.elemType !== undefined) {
    if (s.flags & 4) writeValType(w, s.elemType);
    else w.u8(s.elemType as number);
  }
  if (s.exprs) writeVec(w, s.exprs, (e) => encodeExpression(w, e));
  else writeVec(w, s.funcs ?? [], (f) => w.u32(f));
}

function readData(r: BinaryReader): DataSegment {
  const at = r.pos;
  const flags = r.u32('data segment flags');
  if (flags > 2) r.fail('data segment flags 0-2', `got ${flags}`, at);
  const memory = flags === 2 ? r.u32('a memory index') : undefined;
  const offset = flags === 1 ? undefined : decodeExpression(r);
  const len = r.u32('data segment length');
  return { flags, memory, offset, data: r.take(len, 'data segment bytes') };
}

function writeData(w: BinaryWriter, d: DataSegment): void {
  w.u32(d.flags);
  if (d.memory !== undefined) w.u32(d.memory);
  if (d.offset) encodeExpression(w, d.offset);
  w.u32(d.data.length);
  w.bytes(d.data);
}

function readExport(r: BinaryReader): Export {
  const name = r.name('an export name');
  const at = r.pos;
  const k = r.u8('an export kind');
  const kind = EXTERNAL_KIND_NAMES[k];
  if (kind === undefined) r.fail('an export kind (0-4)', `got 0x${k.toString(16)}`, at);
  return { name, kind, index: r.u32('an export index') };
}

export function readLocals(r: BinaryReader): LocalDecl[] {
  let total = 0;
  return vec(
    r,
    'local declaration',
    () => {
      const at = r.pos;
      const count = r.u32('a local count');
      total += count;
      if (total > 0xffffffff) r.fail('at most 2^32-1 locals per function', `declared ${total}`, at);
      return { count, type: readValType(r, 'a local type') };
    },
    2,
  );
}

/** Decodes one function body between `r.pos` and `end`, recording its own LEB hints. */
export function readFunctionBody(r: BinaryReader, end: number): FunctionBody {
  const outerEnd = r.end;
  r.end = end;
  try {
    const locals = readLocals(r);
    const code = decodeExpression(r);
    if (r.pos !== end) r.fail('the end of the function body', `${end - r.pos} bytes left over`);
    return { locals, code };
  } finally {
    r.end = outerEnd;
  }
}

export function writeFunctionBody(w: BinaryWriter, b: FunctionBody): void {
  writeVec(w, b.locals, (l) => {
    w.u32(l.count);
    writeValType(w, l.type);
  });
  encodeExpression(w, b.code);
}

/** Reads a section's payload (everything but the code section, which module.ts handles body by body). */
export function readSectionPayload(r: BinaryReader, id: number): Section {
  switch (id) {
    case 1:
      return { id: 'type', groups: vec(r, 'type', () => readRecGroup(r)) };
    case 2:
      return { id: 'import', imports: vec(r, 'import', () => readImport(r), 4) };
    case 3:
      return { id: 'function', typeIndices: vec(r, 'function', () => r.u32('a type index')) };
    case 4:
      return { id: 'table', tables: vec(r, 'table', () => readTable(r), 3) };
    case 5:
      return { id: 'memory', memories: vec(r, 'memory', () => readLimits(r, 'memory'), 2) };
    case 13:
      return { id: 'tag', tags: vec(r, 'tag', () => readTagType(r), 2) };
    case 6:
      return {
        id: 'global',
        globals: vec(r, 'global', () => ({ type: readGlobalType(r), init: decodeExpression(r) }), 3),
      };
    case 7:
      return { id: 'export', exports: vec(r, 'export', () => readExport(r), 3) };
    case 8:
      return { id: 'start', funcIndex: r.u32('a function index') };
    case 9:
      return { id: 'element', segments: vec(r, 'element segment', () => readElement(r), 2) };
    case 12:
      return { id: 'dataCount', count: r.u32('a data count') };
    case 11:
      return { id: 'data', segments: vec(r, 'data segment', () => readData(r), 2) };
    default:
      return r.fail('a known section id (0-13)', `got ${id}`);
  }
}

export function writeSectionPayload(w: BinaryWriter, s: Exclude<Section, { id: 'code' | 'custom' }>): void {
  switch (s.id) {
    case 'type':
      writeVec(w, s.groups, (g) => {
        if (g.explicit) {
          w.u8(0x4e);
          writeVec(w, g.types, (t) => writeSubType(w, t));
        } else writeSubType(w, g.types[0] as SubType);
      });
      break;
    case 'import':
      writeVec(w, s.imports, (i) => writeImport(w, i));
      break;
    case 'function':
      writeVec(w, s.typeIndices, (i) => w.u32(i));
      break;
    case 'table':
      writeVec(w, s.tables, (t) => writeTable(w, t));
      break;
    case 'memory':
      writeVec(w, s.memories, (m) => writeLimits(w, m));
      break;
    case 'tag':
      writeVec(w, s.tags, (t) => {
        w.u8(t.attribute);
        w.u32(t.typeIndex);
      });
      break;
    case 'global':
      writeVec(w, s.globals, (g) => {
        writeValType(w, g.type.type);
        w.u8(g.type.mutable ? 1 : 0);
        encodeExpression(w, g.init);
      });
      break;
    case 'export':
      writeVec(w, s.exports, (e) => {
        w.name(e.name);
        w.u8(ExternalKind[e.kind]);
        w.u32(e.index);
      });
      break;
    case 'start':
      w.u32(s.funcIndex);
      break;
    case 'element':
      writeVec(w, s.segments, (e) => writeElement(w, e));
      break;
    case 'dataCount':
      w.u32(s.count);
      break;
    case 'data':
      writeVec(w, s.segments, (d) => writeData(w, d));
      break;
  }
}
