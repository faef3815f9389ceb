import type {
  ComponentHandle,
  ExecutionFailure,
  ExecutionResult,
  ResourceLimits,
  TrapCode,
} from '@portalis/wassette-bridge';
import { formatBytes } from '../format.js';

/**
 * The exit codes of `run-wasm` besides the guest's own status; the values follow wasmtime
 * (125 for its own usage errors, 134 for a trap, as a process killed by SIGABRT).
 */
export const RunExit = { usage: 125, trap: 134 } as const;

type LimitCode = 'out-of-fuel' | 'timeout' | 'memory-limit' | 'output-limit';

/** Wasmtime's wording for each trap, so that messages read the same on either engine. */
const TRAP_TEXT: Record<Exclude<TrapCode, LimitCode | 'cancelled' | 'protocol-error' | 'unknown'>, string> = {
  unreachable: "wasm trap: wasm 'unreachable' instruction executed",
  'stack-overflow': 'wasm trap: call stack exhausted',
  'memory-out-of-bounds': 'wasm trap: out of bounds memory access',
  'table-out-of-bounds': 'wasm trap: undefined element: out of bounds table access',
  'indirect-call-to-null': 'wasm trap: uninitialized element',
  'bad-signature': 'wasm trap: indirect call type mismatch',
  'integer-overflow': 'wasm trap: integer overflow',
  'integer-divide-by-zero': 'wasm trap: integer divide by zero',
  'bad-conversion-to-integer': 'wasm trap: invalid conversion to integer',
  'null-reference': 'wasm trap: null reference',
  exception: 'wasm trap: uncaught exception',
};

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Each limit's message names the flag that raises it. */
function limitText(code: LimitCode, limits: ResourceLimits): string {
  switch (code) {
    case 'out-of-fuel':
      return `out of fuel after ${limits.fuel ?? 'the configured'} units (raise --fuel)`;
    case 'timeout':
      return `timed out after ${seconds(limits.maxExecutionTimeMs)} (raise --timeout)`;
    case 'memory-limit':
      return `memory limit of ${formatBytes(limits.maxMemoryBytes)} reached (raise --max-memory)`;
    case 'output-limit':
      return `output limit of ${limits.maxOutputBytes} bytes reached (raise --max-output)`;
  }
}

/** The one line printed for a failed run (without the `error: ` prefix). */
export function failureText(
  failure: Pick<ExecutionFailure, 'kind' | 'code' | 'message'>,
  limits: ResourceLimits,
): string {
  const code = failure.code;
  if (code === 'out-of-fuel' || code === 'timeout' || code === 'memory-limit' || code === 'output-limit')
    return limitText(code, limits);
  if (code === undefined || code === 'cancelled' || code === 'protocol-error' || code === 'unknown')
    return failure.message;
  return TRAP_TEXT[code];
}

/** Traps, limits and guest protocol faults exit 134; problems with the input (module, request) exit 125. */
export function failureExit(failure: Pick<ExecutionFailure, 'kind'>): number {
  return failure.kind === 'trap' || failure.kind === 'limit-exceeded' ? RunExit.trap : RunExit.usage;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/** Output as text; the exact bytes ride along in base64 only when they are not valid UTF-8. */
function outputFields(name: 'stdout' | 'stderr', bytes: Uint8Array): Record<string, string> {
  try {
    return { [name]: strictUtf8.decode(bytes) };
  } catch {
    return { [name]: lossyUtf8.decode(bytes), [`${name}Base64`]: Buffer.from(bytes).toString('base64') };
  }
}

/**
 * `--json` output: the `ExecutionResult` with stdout and stderr as UTF-8 text (plus `stdoutBase64`
 * / `stderrBase64` when the bytes are not valid UTF-8), i64 values as decimal strings, absent
 * fields as `null`, a `module` object naming what ran, and an `engine` object naming what ran it
 * (with `fallback` saying why, when `--engine auto` fell back to js).
 */
export function resultJson(result: ExecutionResult, handle: ComponentHandle, engine: EngineReport): string {
  const { stdout, stderr, ...rest } = result;
  const doc = {
    module: { name: handle.name, digest: handle.digest, engine: handle.engine },
    engine,
    ...rest,
    ...outputFields('stdout', stdout),
    ...outputFields('stderr', stderr),
  };
  return `${JSON.stringify(
    doc,
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value === undefined ? null : value),
    2,
  )}\n`;
}

/** The engine block of `--json` output. */
export interface EngineReport {
  name: string;
  version: string | undefined;
  fallback: string | undefined;
}

/** A function call's results, one per line, as wasmtime prints them. */
export function formatReturnValues(value: unknown): string {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.map((v) => `${String(v)}\n`).join('');
}
