import type { Feature } from '@portalis/wasm-binary';

/** Why a binary was rejected. */
export type ValidationErrorCode =
  | 'empty'
  | 'truncated'
  | 'bad-magic'
  | 'bad-version'
  | 'malformed'
  | 'invalid'
  | 'unsupported-feature'
  | 'not-found'
  | 'not-a-file'
  | 'too-large'
  | 'read-failed';

/** Things worth knowing that do not make a binary invalid. */
export type ValidationWarningCode =
  | 'memory-unbounded'
  | 'unknown-import'
  | 'no-exports'
  | 'size-budget'
  | 'debug-sections'
  | 'custom-section-malformed'
  | 'decoder-gap'
  | 'legacy-wasi';

export interface ValidationIssue<C extends string> {
  code: C;
  /** What is wrong and, where it helps, what to do. */
  message: string;
  /** Byte offset into the binary, when the problem has a place. */
  offset?: number;
}
export type ValidationError = ValidationIssue<ValidationErrorCode>;
export type ValidationWarning = ValidationIssue<ValidationWarningCode>;

/** What a module or component may ask of its host, derived from its imports. */
export type Capability =
  | 'filesystem'
  | 'env'
  | 'args'
  | 'clocks'
  | 'random'
  | 'sockets'
  | 'http'
  | 'exit'
  | 'stdio'
  | 'poll';

export type WasiVersion = 'none' | 'preview1' | 'preview2';

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';

export interface ImportInfo {
  module: string;
  name: string;
  kind: ExternKind;
  /** The import's type in WAT spelling: `(func (param i32) (result i32))`, `(memory 1 16)`, ... */
  type: string;
}

export interface ExportInfo {
  name: string;
  kind: ExternKind;
  index: number;
  type: string;
}

export interface MemoryInfo {
  index: number;
  imported: boolean;
  /** In pages of `pageSize` bytes (64 KiB unless the custom-page-sizes proposal says otherwise). */
  minPages: number;
  maxPages: number | undefined;
  pageSize: number;
  shared: boolean;
  memory64: boolean;
}

export interface TableInfo {
  index: number;
  imported: boolean;
  elementType: string;
  min: number;
  max: number | undefined;
}

export interface GlobalInfo {
  index: number;
  imported: boolean;
  type: string;
  mutable: boolean;
}

export interface ProducersInfo {
  language: string[];
  processedBy: string[];
  sdk: string[];
}

export interface ComponentFunction {
  /** `name` for a world-level function, `interface#name` for one inside an exported interface. */
  name: string;
  /** The WIT signature: `func(a: u32, b: u32) -> u32`. */
  signature: string;
}

export interface ComponentInfo {
  /** The component's WIT world as text (from jco), when it could be printed. */
  wit: string | undefined;
  imports: { name: string; kind: string }[];
  exports: { name: string; kind: string }[];
  exportedFunctions: ComponentFunction[];
  coreModules: number;
  nestedComponents: number;
}

export interface ModuleMetadata {
  kind: 'core' | 'component';
  size: number;
  sha256: string;
  imports: ImportInfo[];
  exports: ExportInfo[];
  memories: MemoryInfo[];
  tables: TableInfo[];
  globals: GlobalInfo[];
  /** The start function's index, if the module has one. */
  start: number | undefined;
  wasi: WasiVersion;
  capabilities: Capability[];
  features: Feature[];
  producers: ProducersInfo | undefined;
  moduleName: string | undefined;
  customSections: { name: string; size: number }[];
  functionCount: number;
  instructionCount: number;
  codeBytes: number;
  dataBytes: number;
  component: ComponentInfo | undefined;
}

export interface ValidationReport {
  /** The file path, when validated from a path. */
  source: string | undefined;
  isValid: boolean;
  errors: ValidationError[];
  warnings: ValidationWarning[];
  /** Present whenever the binary could be decoded far enough to describe it, valid or not. */
  metadata: ModuleMetadata | undefined;
  durationMs: number;
}
