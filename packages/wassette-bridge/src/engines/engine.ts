import type { ExecutionRequest, ExecutionResult, Isolation, ResourceLimits } from '../execute/types.js';
import type { ComponentPermissions } from '../permissions.js';
import type { ImportInfo } from '../validate/report.js';
import type { EngineInfo } from './select.js';

/**
 * One execution, resolved and as plain data, so that it can cross into a worker thread: the
 * request without its `signal`, the permissions and limits that apply, and the environment the
 * guest will see (already filtered by the grants, so a worker never reads the host's env).
 */
export interface RunPlan {
  /** argv[0] and the name in errors. */
  name: string;
  request: PlainRequest;
  permissions: ComponentPermissions;
  limits: ResourceLimits;
  /** NAME=value pairs the guest sees, in order. */
  env: [string, string][];
  deterministic: false | { startTimeNs?: bigint; seed?: number };
  /** True when the module carries the fuel meter. */
  metered: boolean;
  /** The module's imports, to link them (WASI preview1 functions and memories only). */
  imports: readonly ImportInfo[];
  /** Send output chunks to the caller as they arrive. */
  stream: boolean;
}

type Plain<K extends ExecutionRequest['kind']> = Omit<
  Extract<ExecutionRequest, { kind: K }>,
  'signal' | 'permissions' | 'limits' | 'deterministic' | 'isolation'
>;

/**
 * A request as an engine receives it: a function call carries its parameter types (checked
 * against its arguments), a JSON call its input already serialized.
 */
export type PlainRequest =
  | Omit<Plain<'command'>, 'env'>
  | (Plain<'function'> & { params: readonly string[] })
  | (Omit<Plain<'json'>, 'input'> & { inputJson: string });

/** Where streamed output goes. */
export interface OutputSinks {
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
}

export interface RunOptions extends OutputSinks {
  isolation: Isolation;
  signal?: AbortSignal;
}

export interface CompileOptions {
  /** The module will run with fuel budgets (the loader was given a fuel limit). */
  metered: boolean;
  /** Where an engine with its own compiled-code cache keeps it; unset means no disk cache. */
  cacheDir: string | undefined;
}

export interface CompileOutput<Compiled> {
  compiled: Compiled;
  /** `disk` when the engine's own cache served it, `rebuilt` when a stale or damaged entry was replaced. */
  source: 'compile' | 'disk' | 'rebuilt';
}

/**
 * What each engine implements. The client owns validation, caching of metadata, permissions,
 * audit and metrics; an engine only compiles bytes it is given and runs plans.
 */
export interface Engine<Compiled = unknown> {
  readonly info: EngineInfo;
  /**
   * How limits are enforced. `instrumented`: the loader rewrites each module first (memory cap,
   * grow counter, fuel meter) and caches the rewritten bytes. `native`: the engine enforces every
   * limit itself, compiles the original bytes and keeps its own compiled-code cache.
   */
  readonly limits: 'instrumented' | 'native';
  /** True when the engine runs components (as WASI preview2 commands). */
  readonly runsComponents: boolean;
  /** Compiles (instrumented or original, see `limits`) bytes; throws `BridgeError` on failure. */
  compile(bytes: Uint8Array, options: CompileOptions): Promise<CompileOutput<Compiled>>;
  /** Runs one plan on a fresh instance. Failures of the guest come back in the result, not as throws. */
  run(compiled: Compiled, plan: RunPlan, options: RunOptions): Promise<ExecutionResult>;
  /** Releases threads and other resources; the engine cannot run afterwards. */
  close(): Promise<void>;
}
