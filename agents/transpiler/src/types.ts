import type { ValidationReport } from '@portalis/wassette-bridge';

/** The source languages the transpiler knows. Whether one can be compiled here depends on its frontend. */
export type Lang = 'wat' | 'assemblyscript' | 'c' | 'rust' | 'javascript' | 'typescript';

export const LANGS: readonly Lang[] = ['wat', 'assemblyscript', 'c', 'rust', 'javascript', 'typescript'];

/** What a frontend's `detect()` found: whether its toolchain works here, and what to install if not. */
export interface FrontendDetection {
  available: boolean;
  /** The tool the frontend runs (a path or an npm package name). */
  tool: string;
  version?: string;
  /** What to install when the toolchain is missing or incomplete. */
  install?: string;
  /** Why the frontend is unavailable, in one sentence. */
  reason?: string;
}

/** A frontend as `TranspilerAgent.frontends()` and `portalis convert --list-frontends` show it. */
export interface FrontendInfo extends FrontendDetection {
  name: string;
  langs: Lang[];
  extensions: string[];
}

/** One compile job handed to a frontend. */
export interface CompileRequest {
  /** Absolute path of the source file. */
  sourcePath: string;
  /** The source text (already read by the agent). */
  source: string;
  lang: Lang;
  /** A private scratch directory for this job, removed afterwards. */
  workDir: string;
  /** How the source file is named in diagnostics (the path as the user gave it). */
  displayName: string;
  /** Frontend-specific choices, such as the WIT world of a JavaScript component. */
  world?: string;
  wit?: string;
  signal?: AbortSignal;
}

/** What a frontend returns: the wasm bytes and any warnings the compiler printed. */
export interface CompileOutput {
  wasm: Uint8Array;
  warnings: Diagnostic[];
}

/**
 * A pluggable frontend: one per toolchain. `detect()` must be cheap enough to run once per agent
 * and never throw; `compile()` throws `TranspileError` (`compile-failed` with cleaned diagnostics,
 * `toolchain-missing` when the tool vanished since detection).
 */
export interface Frontend {
  readonly name: string;
  readonly langs: readonly Lang[];
  readonly extensions: readonly string[];
  detect(): Promise<FrontendDetection>;
  compile(request: CompileRequest): Promise<CompileOutput>;
}

/** One compiler message, with its place in the user's source when it has one. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'note';
  message: string;
  /** The file as the user knows it (`calc.c`, `snippet.rs`), never a scratch path. */
  file?: string;
  line?: number;
  column?: number;
  /** The compiler's own code, such as `E0308` or `TS2322`. */
  code?: string;
  /** The compiler's note on the place itself, such as "expected `&str`, found `String`". */
  detail?: string;
  /** The source lines the compiler quoted, with its marker lines. */
  excerpt?: string;
}

export interface TranspileOptions {
  /** Default: from the file extension (for `.ts`, from what the source looks like; see `languageOf`). */
  lang?: Lang;
  /** Where to write the wasm, after it validated. */
  outFile?: string;
  /**
   * Default true: an output the bridge reports invalid is a `TranspileError` (`invalid-output`)
   * and nothing is written. With false the invalid result is returned (and written) with its report.
   */
  validate?: boolean;
  /** JavaScript/TypeScript only: a WIT file or folder (default: NAME.wit or wit/ beside the source). */
  wit?: string;
  /** JavaScript/TypeScript only: the world in that WIT to build (default: its only world). */
  world?: string;
  signal?: AbortSignal;
}

export interface TranspileResult {
  /** The source path as given. */
  source: string;
  lang: Lang;
  frontend: string;
  wasm: Uint8Array;
  outFile?: string;
  /** The bridge's validation report of `wasm`. */
  report: ValidationReport;
  /** Compiler warnings, cleaned like errors. */
  warnings: Diagnostic[];
  durationMs: number;
  /** True when the wasm came from the cache (memory or disk) instead of a compile. */
  cached: boolean;
}
