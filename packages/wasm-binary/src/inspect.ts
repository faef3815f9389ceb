import type { Producers } from './custom.js';
import { decodeNameSection, decodeProducers } from './custom.js';
import { WasmDecodeError } from './errors.js';
import { addFeatureMask } from './feature-masks.js';
import { compositeTypeFeatures, limitsFeatures, subTypeFeatures, valTypeFeatures } from './features.js';
import type { Instruction } from './instructions.js';
import { scanExpression } from './instructions.js';
import { readCustomSectionName, readPreamble, readSectionHeaders } from './module.js';
import type { Feature } from './opcodes.js';
import { BinaryReader } from './reader.js';
import type {
  DataSegment,
  ElementSegment,
  Export,
  Global,
  Import,
  Limits,
  SubType,
  TableType,
  TagType,
} from './sections.js';
import { readLocals, readSectionPayload, SECTION_NAMES, SectionId } from './sections.js';
import { scanValidCode } from './valid-code-scan.js';

/** A custom section as found in the binary, without its payload. */
export interface CustomSectionInfo {
  name: string;
  offset: number;
  size: number;
}

/** Everything a validator or a describer needs from a core module, read without building the code into objects. */
export interface ModuleInspection {
  version: number;
  types: SubType[];
  imports: Import[];
  /** Type index of each function defined in the module (imports excluded). */
  functions: number[];
  tables: TableType[];
  memories: Limits[];
  globals: Global[];
  tags: TagType[];
  exports: Export[];
  start: number | undefined;
  elementSegments: number;
  dataSegments: number;
  dataBytes: number;
  dataCount: number | undefined;
  customSections: CustomSectionInfo[];
  producers: Producers | undefined;
  moduleName: string | undefined;
  functionNames: Map<number, string>;
  features: Set<Feature>;
  instructionCount: number;
  codeBytes: number;
  sections: { id: string; offset: number; size: number }[];
  /** Custom sections we could not parse (malformed `name` or `producers`): a warning, never a rejection. */
  customSectionProblems: { name: string; message: string; offset: number }[];
}

export interface InspectOptions {
  /**
   * The engine has already validated these bytes (`WebAssembly.validate` returned true). Function
   * bodies are then only walked for features and instruction counts, without the checks and error
   * wording that the engine's verdict makes redundant; the result is the same. Section decoding is
   * unchanged, and a code section the fast walk cannot vouch for is walked with the checks as usual.
   */
  engineValidated?: boolean;
}

const CONST_OPS = new Set([0x41, 0x42, 0x43, 0x44, 0x23, 0xd0, 0xd2, 0x0b, 0xfd000c]);

function constExprFeatures(expr: Instruction[] | undefined, features: Set<Feature>): void {
  if (!expr) return;
  for (const ins of expr) {
    if (CONST_OPS.has(ins.op)) continue;
    if (ins.op >= 0x6a && ins.op <= 0x7e) features.add('extended-const');
    else if (ins.op >> 16 === 0xfb) features.add('gc');
  }
}

/**
 * Reads a core module's structure: every section decoded except function bodies, which are scanned
 * for features and instruction counts without allocation. Throws `WasmDecodeError` like `decodeModule`.
 */
export function inspectModule(bytes: Uint8Array, options: InspectOptions = {}): ModuleInspection {
  const preamble = readPreamble(bytes);
  if (preamble.kind !== 'core') throw new WasmDecodeError(preamble.kind === 'component' ? 4 : 0, 'a core module');
  const out: ModuleInspection = {
    version: preamble.version,
    types: [],
    imports: [],
    functions: [],
    tables: [],
    memories: [],
    globals: [],
    tags: [],
    exports: [],
    start: undefined,
    elementSegments: 0,
    dataSegments: 0,
    dataBytes: 0,
    dataCount: undefined,
    customSections: [],
    producers: undefined,
    moduleName: undefined,
    functionNames: new Map(),
    features: new Set(),
    instructionCount: 0,
    codeBytes: 0,
    sections: [],
    customSectionProblems: [],
  };
  const f = out.features;
  const r = new BinaryReader(bytes, 8);
  let codeCount: number | undefined;
  for (const h of readSectionHeaders(bytes, r)) {
    const outerEnd = r.end;
    r.end = h.payloadEnd;
    out.sections.push({ id: SECTION_NAMES[h.id] as string, offset: h.offset, size: h.payloadEnd - h.payloadStart });
    if (h.id === SectionId.custom) {
      const name = readCustomSectionName(r);
      out.customSections.push({ name, offset: h.offset, size: h.payloadEnd - h.payloadStart });
      const data = bytes.subarray(r.pos, h.payloadEnd);
      try {
        if (name === 'producers') out.producers = decodeProducers(data);
        else if (name === 'name') {
          const names = decodeNameSection(data);
          out.moduleName = names.moduleName;
          out.functionNames = names.functionNames;
        }
      } catch (e) {
        if (!(e instanceof WasmDecodeError)) throw e;
        out.customSectionProblems.push({ name, message: e.message, offset: r.pos + e.offset });
      }
      r.pos = h.payloadEnd;
    } else if (h.id === SectionId.code) {
      out.codeBytes = h.payloadEnd - h.payloadStart;
      const valid = options.engineValidated ? scanValidCode(bytes, r.pos, h.payloadEnd) : undefined;
      if (valid) {
        codeCount = valid.bodies;
        out.instructionCount = valid.instructions;
        addFeatureMask(valid.featureMask, f);
        r.pos = h.payloadEnd;
      } else codeCount = scanCodeSection(r, h.payloadEnd, out);
    } else {
      const s = readSectionPayload(r, h.id);
      switch (s.id) {
        case 'type':
          for (const g of s.groups) {
            if (g.explicit) f.add('gc');
            for (const t of g.types) {
              subTypeFeatures(t, f);
              out.types.push(t);
            }
          }
          break;
        case 'import':
          out.imports = s.imports;
          for (const i of s.imports) {
            if (i.desc.kind === 'memory') {
              out.memories.push(i.desc.limits);
            } else if (i.desc.kind === 'table') out.tables.push(i.desc.table);
            else if (i.desc.kind === 'global') {
              valTypeFeatures(i.desc.global.type, f);
              if (i.desc.global.mutable) f.add('mutable-globals');
            } else if (i.desc.kind === 'tag') out.tags.push(i.desc.tag);
          }
          break;
        case 'function':
          out.functions = s.typeIndices;
          break;
        case 'table':
          for (const t of s.tables) {
            out.tables.push(t.type);
            if (t.init) f.add('function-references');
            constExprFeatures(t.init, f);
          }
          break;
        case 'memory':
          out.memories.push(...s.memories);
          break;
        case 'tag':
          out.tags.push(...s.tags);
          break;
        case 'global':
          out.globals = s.globals;
          for (const g of s.globals) {
            valTypeFeatures(g.type.type, f);
            constExprFeatures(g.init, f);
          }
          break;
        case 'export':
          out.exports = s.exports;
          break;
        case 'start':
          out.start = s.funcIndex;
          break;
        case 'element':
          out.elementSegments = s.segments.length;
          for (const e of s.segments) elementFeatures(e, f);
          break;
        case 'dataCount':
          out.dataCount = s.count;
          f.add('bulk-memory');
          break;
        case 'data':
          out.dataSegments = s.segments.length;
          for (const d of s.segments) dataFeatures(d, f, out);
          break;
      }
      if (r.pos !== h.payloadEnd) {
        r.fail(
          `the end of the ${SECTION_NAMES[h.id]} section`,
          `${h.payloadEnd - r.pos} bytes left over (section size mismatch)`,
        );
      }
    }
    r.end = outerEnd;
  }
  const nonCustom = out.sections.filter((s) => s.id !== 'custom');
  if ((codeCount ?? 0) !== out.functions.length) {
    const at = nonCustom.find((s) => s.id === 'code' || s.id === 'function')?.offset ?? bytes.length;
    throw new WasmDecodeError(
      at,
      'as many function bodies as declared functions',
      `function section declares ${out.functions.length}, code section has ${codeCount ?? 0}`,
    );
  }
  if (out.dataCount !== undefined && out.dataCount !== out.dataSegments) {
    const at = nonCustom.find((s) => s.id === 'dataCount')?.offset ?? 0;
    throw new WasmDecodeError(
      at,
      'a data count equal to the number of data segments',
      `data count ${out.dataCount}, data segments ${out.dataSegments}`,
    );
  }
  for (const m of out.memories) limitsFeatures(m, f);
  for (const t of out.tables) {
    limitsFeatures(t.limits, f);
    if (t.refType !== 0x70) valTypeFeatures(t.refType, f);
  }
  // A memory index above 0 with one memory is an invalid index under every proposal, not multi-memory.
  if (out.memories.length > 1) f.add('multi-memory');
  else f.delete('multi-memory');
  if (out.tables.length > 1) f.add('reference-types');
  for (const t of out.types) compositeTypeFeatures(t.type, f);
  return out;
}

/** The checking walk of the code section's bodies: every body's bounds, locals and instructions. Returns the body count. */
function scanCodeSection(r: BinaryReader, sectionEnd: number, out: ModuleInspection): number {
  const codeCount = r.count('function body', 2);
  for (let i = 0; i < codeCount; i++) {
    const sizeAt = r.pos;
    const size = r.u32('a function body size');
    if (size > r.remaining) r.fail(`a function body of ${size} bytes`, `only ${r.remaining} bytes left`, sizeAt);
    const end = r.pos + size;
    r.end = end;
    for (const l of readLocals(r)) valTypeFeatures(l.type, out.features);
    out.instructionCount += scanExpression(r, out.features);
    if (r.pos !== end) r.fail('the end of the function body', `${end - r.pos} bytes left over`);
    r.end = sectionEnd;
  }
  return codeCount;
}

function elementFeatures(e: ElementSegment, f: Set<Feature>): void {
  if (e.flags !== 0) f.add(e.flags & 4 ? 'reference-types' : 'bulk-memory');
  if (e.flags & 4) for (const x of e.exprs ?? []) constExprFeatures(x, f);
  constExprFeatures(e.offset, f);
  if (e.elemType !== undefined && e.flags & 4) valTypeFeatures(e.elemType, f);
}

function dataFeatures(d: DataSegment, f: Set<Feature>, out: ModuleInspection): void {
  out.dataBytes += d.data.length;
  if (d.flags === 1) f.add('bulk-memory');
  if (d.flags === 2 && d.memory !== 0) f.add('multi-memory');
  constExprFeatures(d.offset, f);
}
