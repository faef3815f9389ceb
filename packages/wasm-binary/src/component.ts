import { WasmDecodeError } from './errors.js';
import { readPreamble } from './module.js';
import { BinaryReader } from './reader.js';

export const ComponentSectionId = {
  custom: 0,
  coreModule: 1,
  coreInstance: 2,
  coreType: 3,
  component: 4,
  instance: 5,
  alias: 6,
  type: 7,
  canon: 8,
  start: 9,
  import: 10,
  export: 11,
  value: 12,
} as const;
const COMPONENT_SECTION_NAMES = Object.keys(ComponentSectionId);

export type ComponentExternKind = 'core-module' | 'func' | 'value' | 'type' | 'component' | 'instance';
const EXTERN_KINDS: readonly ComponentExternKind[] = ['core-module', 'func', 'value', 'type', 'component', 'instance'];
const CORE_SORTS: Record<number, string> = {
  0: 'core-func',
  1: 'core-table',
  2: 'core-memory',
  3: 'core-global',
  4: 'core-tag',
  16: 'core-type',
  17: 'core-module',
  18: 'core-instance',
};

export interface ComponentImport {
  name: string;
  kind: ComponentExternKind;
}
export interface ComponentExport {
  name: string;
  /** The sort of what is exported: `func`, `instance`, `type`, `component`, `core-module`, ... */
  kind: string;
}
/** A core module nested in a component, by its position in the outer binary. */
export interface NestedModule {
  offset: number;
  size: number;
  bytes: Uint8Array;
}

export interface ComponentInspection {
  version: number;
  imports: ComponentImport[];
  exports: ComponentExport[];
  coreModules: NestedModule[];
  components: ComponentInspection[];
  customSections: { name: string; offset: number; size: number }[];
  sections: { id: string; offset: number; size: number }[];
}

function readExternName(r: BinaryReader): string {
  const at = r.pos;
  const tag = r.u8('an import or export name tag');
  if (tag > 0x02) r.fail('a name tag (0x00-0x02)', `got 0x${tag.toString(16)}`, at);
  const name = r.name('a component import or export name');
  if (tag === 0x02) {
    const n = r.count('name option', 2);
    for (let i = 0; i < n; i++) {
      r.u8('a name option tag');
      r.name('a name option');
    }
  }
  return name;
}

function readExternDesc(r: BinaryReader): ComponentExternKind {
  const at = r.pos;
  const tag = r.u8('an extern descriptor');
  const kind = EXTERN_KINDS[tag];
  if (kind === undefined) r.fail('an extern descriptor (0x00-0x05)', `got 0x${tag.toString(16)}`, at);
  if (tag === 0x00) {
    if (r.u8('core module sort 0x11') !== 0x11) r.fail('core module sort 0x11', undefined, at + 1);
    r.u32('a core type index');
  } else if (tag === 0x02) {
    const bound = r.u8('a value bound');
    if (bound === 0x00) r.u32('a value index');
    else r.s33('a value type');
  } else if (tag === 0x03) {
    const bound = r.u8('a type bound');
    if (bound === 0x00) r.u32('a type index');
    else if (bound !== 0x01) r.fail('a type bound (0x00 or 0x01)', `got 0x${bound.toString(16)}`, r.pos - 1);
  } else r.u32('a type index');
  return kind;
}

function readSort(r: BinaryReader): string {
  const at = r.pos;
  const s = r.u8('a sort');
  if (s === 0x00) {
    const core = r.u8('a core sort');
    const name = CORE_SORTS[core];
    if (name === undefined) r.fail('a core sort', `got 0x${core.toString(16)}`, at + 1);
    return name;
  }
  const name = EXTERN_KINDS[s];
  if (name === undefined || s === 0) r.fail('a sort (0x00-0x05)', `got 0x${s.toString(16)}`, at);
  return name;
}

/** Errors from nested components already carry offsets into the outermost binary. */
const rebased = new WeakSet<WasmDecodeError>();

/**
 * Walks a component's outer sections: imports, exports, nested core modules and components.
 * Type and canon sections are skipped by size; their meaning comes from the WIT world (jco).
 */
export function inspectComponent(bytes: Uint8Array, base = 0): ComponentInspection {
  const preamble = readPreamble(bytes);
  if (preamble.kind !== 'component') throw new WasmDecodeError(base + 4, 'a component (layer 1)');
  const out: ComponentInspection = {
    version: preamble.version,
    imports: [],
    exports: [],
    coreModules: [],
    components: [],
    customSections: [],
    sections: [],
  };
  const r = new BinaryReader(bytes, 8);
  try {
    while (!r.atEnd()) {
      const offset = r.pos;
      const id = r.u8('a component section id');
      if (id > 12) r.fail('a component section id (0-12)', `got ${id}`, offset);
      const sizeAt = r.pos;
      const size = r.u32('a section size');
      if (size > r.remaining) r.fail(`a section of ${size} bytes`, `only ${r.remaining} bytes left`, sizeAt);
      const start = r.pos;
      const end = start + size;
      out.sections.push({ id: COMPONENT_SECTION_NAMES[id] as string, offset, size });
      const outerEnd = r.end;
      r.end = end;
      if (id === ComponentSectionId.custom) {
        out.customSections.push({ name: r.name('a custom section name'), offset, size });
      } else if (id === ComponentSectionId.coreModule) {
        out.coreModules.push({ offset: base + start, size, bytes: bytes.subarray(start, end) });
      } else if (id === ComponentSectionId.component) {
        out.components.push(inspectComponent(bytes.subarray(start, end), base + start));
      } else if (id === ComponentSectionId.import) {
        const n = r.count('component import', 3);
        for (let i = 0; i < n; i++) out.imports.push({ name: readExternName(r), kind: readExternDesc(r) });
        if (r.pos !== end) r.fail('the end of the import section', 'section size mismatch');
      } else if (id === ComponentSectionId.export) {
        const n = r.count('component export', 3);
        for (let i = 0; i < n; i++) {
          const name = readExternName(r);
          const kind = readSort(r);
          r.u32('an export index');
          const hasDesc = r.u8('an optional extern descriptor flag');
          if (hasDesc === 0x01) readExternDesc(r);
          else if (hasDesc !== 0x00) r.fail('0x00 or 0x01', `got 0x${hasDesc.toString(16)}`, r.pos - 1);
          out.exports.push({ name, kind });
        }
        if (r.pos !== end) r.fail('the end of the export section', 'section size mismatch');
      }
      r.end = outerEnd;
      r.pos = end;
    }
  } catch (e) {
    if (e instanceof WasmDecodeError && base !== 0 && !rebased.has(e)) {
      const moved = new WasmDecodeError(base + e.offset, e.expected, e.detail);
      rebased.add(moved);
      throw moved;
    }
    throw e;
  }
  return out;
}
