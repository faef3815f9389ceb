/**
 * @portalis/wassette-bridge: validate, load and execute WebAssembly in a deny-by-default sandbox.
 *
 * Core concepts:
 * - `WassetteClient`: the entry point, bound to one engine and one immutable `WassetteConfig`.
 * - `ValidationReport`: what `validate` returns for any input, good or bad: validity, errors with
 *   codes and byte offsets, warnings, and `ModuleMetadata` (imports, exports, limits, WASI
 *   version, capabilities, features, producers, and the WIT world of a component).
 * - Engine: `js` (V8 with Portalis's own WASI host) or `wasmtime` (native addon); chosen once by
 *   `selectEngine`, never by the API methods.
 * - `BridgeError`: the one error class, with a closed `kind` and, for traps, a closed `code`.
 * - `load` -> `ComponentHandle`: validated, instrumented (memory cap, fuel meter), compiled and
 *   cached; `execute(handle, request)` -> `ExecutionResult` on a fresh instance, in a pooled worker
 *   thread or in-thread; `executeStream` gives the same run as an Observable of events.
 * - `ComponentPermissions` and `ResourceLimits`: what a guest may touch and how far it may go.
 */
export type { DefaultLimits, WassetteClientOptions, WassetteConfig } from './client.js';
export { DEFAULT_CONFIG, WassetteClient } from './client.js';
export type { LoadConfigOptions } from './config.js';
export { CONFIG_ENV, loadWassetteConfig } from './config.js';
export type { Engine, OutputSinks, RunOptions, RunPlan } from './engines/engine.js';
export { decodeListing, nativeLister } from './engines/js/native-listing.js';
export type { EngineChoice, EngineInfo, EngineName, EngineProbes, EngineSelection } from './engines/select.js';
export { defaultProbes, selectEngine } from './engines/select.js';
export type { BridgeErrorKind, BridgeErrorOptions, TrapCode } from './errors.js';
export { BridgeError, isBridgeError, LIMIT_CODES, TRAP_CODES } from './errors.js';
export type { FuncSignature } from './execute/signature.js';
export { parseFuncType } from './execute/signature.js';
export type {
  CommandRequest,
  ComponentHandle,
  ExecutionEvent,
  ExecutionFailure,
  ExecutionRequest,
  ExecutionResult,
  FunctionRequest,
  Isolation,
  JsonCallRequest,
  LoadOptions,
  RequestCommon,
  ResourceLimits,
  WasmNumber,
} from './execute/types.js';
export { DEFAULT_LIMITS } from './execute/types.js';
export type { AuditInput, AuditRecord, ExecutionOutcome } from './observe/audit.js';
export { AuditLog, auditLine, auditRecord, executionOutcome } from './observe/audit.js';
export type { LogOption } from './observe/log.js';
export { createLogger, REDACTED_KEYS } from './observe/log.js';
export { BridgeMetrics, EXECUTION_BUCKETS, VALIDATION_BUCKETS } from './observe/metrics.js';
export type { HostGrant, PathGrant, Policy } from './permissions.js';
export { ComponentPermissions, parseMemoryQuantity, policyFromYaml } from './permissions.js';
export { exportedFunctions } from './validate/component.js';
export type {
  Capability,
  ComponentFunction,
  ComponentInfo,
  ExportInfo,
  ExternKind,
  GlobalInfo,
  ImportInfo,
  MemoryInfo,
  ModuleMetadata,
  ProducersInfo,
  TableInfo,
  ValidationError,
  ValidationErrorCode,
  ValidationIssue,
  ValidationReport,
  ValidationWarning,
  ValidationWarningCode,
  WasiVersion,
} from './validate/report.js';
export type { ValidateOptions, WasmInput } from './validate/validate.js';
export { DEFAULT_MAX_BYTES, validateWasm } from './validate/validate.js';
