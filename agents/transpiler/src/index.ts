/**
 * @portalis/agent-transpiler: source to WebAssembly, validated through the bridge.
 *
 * Core concepts:
 * - `Frontend`: one per toolchain (WAT, AssemblyScript, C, Rust, JavaScript/TypeScript), with
 *   `detect()` (is the tool here, which version, what to install) and `compile()`.
 * - `TranspilerAgent`: picks the frontend from the file's language, compiles, validates the output
 *   with `WassetteClient.validate`, caches it (memory, and disk with `cacheDir`) and returns the
 *   wasm with its `ValidationReport`.
 * - `SnippetCompiler`: compiles code snippets into JSON-protocol plugins (`analyze(input) -> output`
 *   in a template), refusing forbidden patterns first, with a two-tier cache by source digest.
 * - `TranspileError`: the one error class, with a closed `code` and cleaned `Diagnostic`s.
 */
export { TranspilerAgent, type TranspilerAgentOptions } from './agent.js';
export { ArtifactCache, type ArtifactCacheOptions, type CachedArtifact, type CacheTier, cacheKey } from './cache.js';
export {
  formatDiagnostic,
  formatDiagnostics,
  type PathNames,
  parseAscDiagnostics,
  parseLineDiagnostics,
  parseRustcDiagnostics,
} from './diagnostics.js';
export { isTranspileError, TranspileError, type TranspileErrorCode } from './errors.js';
export { ASC_FLAGS, type AssemblyScriptFrontendOptions, ascFlagsOf } from './frontends/assemblyscript.js';
export { C_INSTALL, type CFrontendOptions, definesMain } from './frontends/c.js';
export {
  AssemblyScriptFrontend,
  CFrontend,
  defaultFrontends,
  type FrontendTools,
  JavaScriptFrontend,
  KNOWN_EXTENSIONS,
  languageOf,
  looksLikeAssemblyScript,
  RustFrontend,
  TOOL_ENV,
  WatFrontend,
} from './frontends/index.js';
export { DEFAULT_WIT, type JavaScriptFrontendOptions, JS_INSTALL, TS_INSTALL } from './frontends/javascript.js';
export {
  DEFAULT_RUSTC_CANDIDATES,
  hasMain,
  RUST_INSTALL,
  RUST_WASI_TARGETS,
  type RustFrontendOptions,
  type RustToolchain,
} from './frontends/rust.js';
export { type WatFrontendOptions, watFeatures } from './frontends/wat.js';
export {
  MAX_SNIPPET_BYTES,
  SNIPPET_LANGS,
  SNIPPET_RUST_TARGETS,
  SnippetCompiler,
  type SnippetCompilerOptions,
  type SnippetLanguageInfo,
  type SnippetResult,
} from './snippet/compiler.js';
export {
  blankCommentsAndStrings,
  FORBIDDEN_RULES,
  type ForbiddenMatch,
  type ForbiddenRule,
  findForbidden,
  type SnippetLang,
} from './snippet/forbidden.js';
export { type SnippetTemplate, TEMPLATES } from './snippet/templates.js';
export type {
  CompileOutput,
  CompileRequest,
  Diagnostic,
  Frontend,
  FrontendDetection,
  FrontendInfo,
  Lang,
  TranspileOptions,
  TranspileResult,
} from './types.js';
export { LANGS } from './types.js';
