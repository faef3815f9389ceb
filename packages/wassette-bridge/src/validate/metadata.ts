import type { CompositeType, ImportDesc, Limits, ModuleInspection, TableType } from '@portalis/wasm-binary';
import { valTypeToString } from '@portalis/wasm-binary';
import { coreCapabilities } from './capabilities.js';
import type { ExportInfo, GlobalInfo, ImportInfo, MemoryInfo, ModuleMetadata, TableInfo } from './report.js';

export function typeToString(t: CompositeType | undefined): string {
  if (!t) return '(func <unknown type>)';
  if (t.kind === 'func') {
    const params = t.params.length ? ` (param ${t.params.map(valTypeToString).join(' ')})` : '';
    const results = t.results.length ? ` (result ${t.results.map(valTypeToString).join(' ')})` : '';
    return `(func${params}${results})`;
  }
  if (t.kind === 'struct') {
    return `(struct${t.fields.map((f) => ` (field ${f.mutable ? `(mut ${valTypeToString(f.type)})` : valTypeToString(f.type)})`).join('')})`;
  }
  return `(array ${t.field.mutable ? `(mut ${valTypeToString(t.field.type)})` : valTypeToString(t.field.type)})`;
}

function limitsToString(l: Limits): string {
  return `${l.flags & 0x04 ? 'i64 ' : ''}${l.min}${l.max === undefined ? '' : ` ${l.max}`}${l.flags & 0x02 ? ' shared' : ''}`;
}

function tableToString(t: TableType): string {
  return `(table ${limitsToString(t.limits)} ${valTypeToString(t.refType)})`;
}

function describeImport(m: ModuleInspection, d: ImportDesc): string {
  switch (d.kind) {
    case 'func':
      return typeToString(m.types[d.typeIndex]?.type);
    case 'table':
      return tableToString(d.table);
    case 'memory':
      return `(memory ${limitsToString(d.limits)})`;
    case 'global':
      return `(global ${d.global.mutable ? `(mut ${valTypeToString(d.global.type)})` : valTypeToString(d.global.type)})`;
    case 'tag':
      return `(tag ${typeToString(m.types[d.tag.typeIndex]?.type)})`;
  }
}

/** Builds the user-facing metadata of a core module from its inspection. */
export function coreMetadata(m: ModuleInspection, size: number, sha256: string): ModuleMetadata {
  const funcTypes: (CompositeType | undefined)[] = [];
  const globals: GlobalInfo[] = [];
  const memories: MemoryInfo[] = [];
  const tables: TableInfo[] = [];
  const imports: ImportInfo[] = m.imports.map((i) => {
    const d = i.desc;
    if (d.kind === 'func') funcTypes.push(m.types[d.typeIndex]?.type);
    else if (d.kind === 'global') {
      globals.push({
        index: globals.length,
        imported: true,
        type: valTypeToString(d.global.type),
        mutable: d.global.mutable,
      });
    }
    return { module: i.module, name: i.name, kind: d.kind, type: describeImport(m, d) };
  });
  const importedMemories = m.imports.filter((i) => i.desc.kind === 'memory').length;
  const importedTables = m.imports.filter((i) => i.desc.kind === 'table').length;
  m.memories.forEach((l, index) => {
    memories.push({
      index,
      imported: index < importedMemories,
      minPages: l.min,
      maxPages: l.max,
      pageSize: l.pageSizeLog2 === undefined ? 65536 : 2 ** l.pageSizeLog2,
      shared: (l.flags & 0x02) !== 0,
      memory64: (l.flags & 0x04) !== 0,
    });
  });
  m.tables.forEach((t, index) => {
    tables.push({
      index,
      imported: index < importedTables,
      elementType: valTypeToString(t.refType),
      min: t.limits.min,
      max: t.limits.max,
    });
  });
  for (const t of m.functions) funcTypes.push(m.types[t]?.type);
  for (const g of m.globals) {
    globals.push({
      index: globals.length,
      imported: false,
      type: valTypeToString(g.type.type),
      mutable: g.type.mutable,
    });
  }
  const exports: ExportInfo[] = m.exports.map((e) => {
    let type: string;
    switch (e.kind) {
      case 'func':
        type = typeToString(funcTypes[e.index]);
        break;
      case 'memory': {
        const mem = m.memories[e.index];
        type = mem ? `(memory ${limitsToString(mem)})` : '(memory)';
        break;
      }
      case 'table': {
        const t = m.tables[e.index];
        type = t ? tableToString(t) : '(table)';
        break;
      }
      case 'global': {
        const g = globals[e.index];
        type = g ? `(global ${g.mutable ? `(mut ${g.type})` : g.type})` : '(global)';
        break;
      }
      case 'tag': {
        const tag = m.tags[e.index];
        type = `(tag ${typeToString(tag ? m.types[tag.typeIndex]?.type : undefined)})`;
        break;
      }
    }
    return { name: e.name, kind: e.kind, index: e.index, type };
  });
  const { wasi, capabilities } = coreCapabilities(m.imports);
  const p = m.producers;
  const entry = (x: { name: string; version: string }) => (x.version ? `${x.name} ${x.version}` : x.name);
  return {
    kind: 'core',
    size,
    sha256,
    imports,
    exports,
    memories,
    tables,
    globals,
    start: m.start,
    wasi,
    capabilities,
    features: [...m.features].filter((f) => f !== 'mvp').sort(),
    producers: p
      ? { language: p.language.map(entry), processedBy: p.processedBy.map(entry), sdk: p.sdk.map(entry) }
      : undefined,
    moduleName: m.moduleName,
    customSections: m.customSections.map((c) => ({ name: c.name, size: c.size })),
    functionCount: m.functions.length,
    instructionCount: m.instructionCount,
    codeBytes: m.codeBytes,
    dataBytes: m.dataBytes,
    component: undefined,
  };
}
