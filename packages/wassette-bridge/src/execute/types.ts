import type { EngineName } from '../engines/select.js';
import type { BridgeErrorKind, TrapCode } from '../errors.js';
import type { ComponentPermissions } from '../permissions.js';
import type { ExportInfo, ImportInfo } from '../validate/report.js';

/** Every limit an execution runs under. Each one, when reached, fails the run with its own code. */
export interface ResourceLimits {
  /** Linear memory cap in bytes (rounded down to 64 KiB pages): `memory.grow` past it returns -1. */
  maxMemoryBytes: number;
  /** Wall-clock budget per execution: at the deadline the run fails with `timeout`. */
  maxExecutionTimeMs: number;
  /** Instruction budget per execution, when set: running out fails with `out-of-fuel`. */
  fuel: number | undefined;
  /** Bytes of stdout plus stderr a guest may write: one byte more fails the run with `output-limit`. */
  maxOutputBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  maxMemoryBytes: 256 * 1024 * 1024,
  maxExecutionTimeMs: 30_000,
  fuel: undefined,
  maxOutputBytes: 16 * 1024 * 1024,
});

/** Where an execution runs: a pooled worker thread (the default) or the caller's thread. */
export type Isolation = 'worker' | 'in-thread';

export interface LoadOptions {
  /**
   * Limits baked into the loaded module: the memory cap is written into its memories, and a fuel
   * budget (any value) makes the module metered so that executions can set their own budget.
   */
  limits?: Partial<Pick<ResourceLimits, 'maxMemoryBytes' | 'fuel'>>;
  /** A name for logs, audit lines and argv[0]; default: the file's base name, or `module.wasm`. */
  name?: string;
}

/** A loaded module: validated, instrumented and compiled once, run many times. */
export interface ComponentHandle {
  /** Opaque id, unique per load call. */
  readonly id: string;
  readonly name: string;
  /** sha256 (hex) of the bytes given to `load`, before instrumentation. */
  readonly digest: string;
  readonly engine: EngineName;
  /**
   * `component` only on an engine that runs components (wasmtime), which runs them as WASI
   * preview2 commands; `imports` and `exports` are then empty (`validate()` describes the world).
   */
  readonly kind: 'core' | 'component';
  /** The memory cap, in bytes, written into the module. */
  readonly maxMemoryBytes: number;
  /** True when the module carries the fuel meter; executions may then set `limits.fuel`. */
  readonly metered: boolean;
  /** Default fuel budget for executions of this handle (the load-time `limits.fuel`). */
  readonly fuel: number | undefined;
  readonly imports: readonly ImportInfo[];
  /** The module's own exports (the bridge's instrumentation exports are not listed). */
  readonly exports: readonly ExportInfo[];
  /** Where the compiled module came from: `memory` or `disk` cache, or a fresh `compile`. */
  readonly source: 'memory' | 'disk' | 'compile';
  /** Time spent in `load`, in milliseconds. */
  readonly loadTimeMs: number;
}

/** What every request kind may set besides its own fields. */
export interface RequestCommon {
  /** What the guest may touch; default: the client's permissions (`ComponentPermissions.none()` unless configured). */
  permissions?: ComponentPermissions;
  /** Per-execution limits over the client's defaults (`maxMemoryBytes` is fixed at load). */
  limits?: Partial<Omit<ResourceLimits, 'maxMemoryBytes'>>;
  /** Fixed clocks and seeded randomness, so that the same input gives byte-identical output. */
  deterministic?: boolean | { startTimeNs?: bigint; seed?: number };
  /** Default `worker`. `in-thread` needs a fuel budget (nothing else could stop an endless loop). */
  isolation?: Isolation;
  /** Aborting fails the run with `timeout`-like cancellation (`kind: 'trap', code: 'cancelled'`). */
  signal?: AbortSignal;
}

/** Runs `_start` of a WASI command. */
export interface CommandRequest extends RequestCommon {
  kind: 'command';
  /** Guest arguments after argv[0] (which is the handle's name, as in wasmtime). */
  args?: readonly string[];
  /** Explicit variables, passed as given (on top of what `permissions` grants from the host env). */
  env?: Readonly<Record<string, string>>;
  stdin?: Uint8Array | string;
}

/** A wasm number: i32, f32 and f64 as `number`, i64 as `bigint`. */
export type WasmNumber = number | bigint;

/** Calls one exported function with numeric arguments. */
export interface FunctionRequest extends RequestCommon {
  kind: 'function';
  name: string;
  args?: readonly WasmNumber[];
}

/**
 * The plugin protocol: the host calls `alloc(len)`, writes the UTF-8 JSON of `input` there, calls
 * `name(ptr, len)`, which returns `(ptr, len)` (two i32 results, or one i64 packed as
 * `ptr << 32 | len`), and parses the JSON found there.
 */
export interface JsonCallRequest extends RequestCommon {
  kind: 'json';
  name: string;
  input: unknown;
  /** The allocator export; default `alloc`. */
  allocExport?: string;
}

export type ExecutionRequest = CommandRequest | FunctionRequest | JsonCallRequest;

/** A failure as plain data (what `BridgeError.toJSON()` gives). */
export interface ExecutionFailure {
  kind: BridgeErrorKind;
  code?: TrapCode;
  message: string;
  details: Record<string, unknown>;
}

export interface ExecutionResult {
  success: boolean;
  /** A command's exit status (0 when `_start` returned); undefined for function and JSON calls. */
  exitCode: number | undefined;
  /** Captured stdout, at most `maxOutputBytes` bytes. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Bytes the guest wrote to stdout and stderr together, kept or not. */
  outputBytes: number;
  /** A function call's results (array, one per result) or a JSON call's parsed output. */
  returnValue: unknown;
  executionTimeMs: number;
  /** Peak linear memory, in bytes (memories only grow, so this is their size at the end). */
  memoryUsedBytes: number;
  /** `memory.grow` calls refused because of the cap. */
  memoryGrowFailures: number;
  /** Fuel spent, when the module is metered. */
  fuelConsumed: number | undefined;
  /** The trap or limit code, when the run failed with one. */
  trap: TrapCode | undefined;
  /** Why the run failed, when it did. */
  error: ExecutionFailure | undefined;
}

/** What `executeStream` emits, in order: `started`, any number of output chunks, then `exited`. */
export type ExecutionEvent =
  | { type: 'started'; handle: string; kind: ExecutionRequest['kind']; isolation: Isolation }
  | { type: 'stdout'; chunk: Uint8Array }
  | { type: 'stderr'; chunk: Uint8Array }
  | { type: 'exited'; result: ExecutionResult };
