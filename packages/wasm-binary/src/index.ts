/**
 * @portalis/wasm-binary: reads and writes WebAssembly binaries.
 *
 * Core concepts:
 * - `WasmModule`: a decoded core module, its sections in original order; `decodeModule` and
 *   `encodeModule` are exact inverses (padded LEBs included), so passes can rewrite what they
 *   change and leave every other byte alone.
 * - `Instruction`: one decoded instruction with its immediates, covering WebAssembly 2.0 and the
 *   threads, SIMD, tail-call, multi-memory, memory64, exception-handling and GC proposals.
 * - `inspectModule`: the fast path for validation and metadata; decodes every section but scans
 *   function bodies for features without building instructions, and once V8 has accepted the bytes
 *   (`engineValidated`), without re-checking them.
 * - `inspectComponent`: the outer structure of a component (imports, exports, nested modules).
 * - `WasmDecodeError`: every malformed input ends here, with the byte offset and what was expected.
 */
export type {
  ComponentExport,
  ComponentExternKind,
  ComponentImport,
  ComponentInspection,
  NestedModule,
} from './component.js';
export { inspectComponent } from './component.js';
export type { NameSection, ProducerEntry, Producers } from './custom.js';
export { decodeNameSection, decodeProducers } from './custom.js';
export { WasmDecodeError } from './errors.js';
export { UNSUPPORTED_BY_NODE20_V8 } from './features.js';
export type { CustomSectionInfo, InspectOptions, ModuleInspection } from './inspect.js';
export { inspectModule } from './inspect.js';
export type { Instruction } from './instructions.js';
export { decodeExpression, encodeExpression, opcodeName, scanExpression } from './instructions.js';
export { FUEL_EXPORT, injectFuelMeter } from './instrument/fuel.js';
export { countGrowFailures, GROW_FAILURES_EXPORT } from './instrument/grow-counter.js';
export { capMemory, InstrumentError } from './instrument/memory-cap.js';
export type { PooledMemory } from './instrument/pooled-memory.js';
export { importDefinedMemory, POOLED_MEMORY_SECTION } from './instrument/pooled-memory.js';
export type { Preamble, SectionHeader, WasmModule } from './module.js';
export { decodeModule, encodeModule, readPreamble, readSectionHeaders } from './module.js';
export type { Feature } from './opcodes.js';
export type { LebHints } from './reader.js';
export { BinaryReader } from './reader.js';
export type {
  ArrayType,
  CompositeType,
  DataSegment,
  ElementSegment,
  Export,
  ExternalKindName,
  FieldType,
  FuncType,
  FunctionBody,
  Global,
  GlobalType,
  Import,
  ImportDesc,
  Limits,
  LocalDecl,
  RecGroup,
  Section,
  SectionName,
  SectionOf,
  StructType,
  SubType,
  Table,
  TableType,
  TagType,
} from './sections.js';
export { SectionId } from './sections.js';
export type { HeapType, RefType, StorageType, ValType } from './types.js';
export { heapTypeToString, isRefType, ValTypeCode, valTypeToString } from './types.js';
export { BinaryWriter } from './writer.js';
