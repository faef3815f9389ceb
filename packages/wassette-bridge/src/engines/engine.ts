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

/** A request as a worker receives it; a JSON call carries its input already serialized. */
export type PlainRequest =
  | Omit<Plain<'command'>, 'env'>
  | Plain<'function'>
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

/**
 * What each engine implements. The client owns validation, instrumentation, caching, permissions,
 * audit and metrics; an engine only compiles bytes it is given and runs plans.
 */
export interface Engine<Compiled = unknown> {
  readonly info: EngineInfo;
  /** Compiles instrumented bytes; throws `BridgeError` on failure. */
  compile(bytes: Uint8Array): Promise<Compiled>;
  /** Runs one plan on a fresh instance. Failures of the guest come back in the result, not as throws. */
  run(compiled: Compiled, plan: RunPlan, options: RunOptions): Promise<ExecutionResult>;
  /** Releases threads and other resources; the engine cannot run afterwards. */
  close(): Promise<void>;
}
