import { WasiMemoryFault } from '@portalis/wasi';
import { BridgeError, type TrapCode } from '../../errors.js';
import { trapError } from '../trap-error.js';

/** Thrown from the output callback to unwind a guest that wrote past `maxOutputBytes`. */
export class OutputLimitReached extends Error {
  constructor(readonly limit: number) {
    super(`the guest wrote more than ${limit} bytes of output`);
    this.name = 'OutputLimitReached';
  }
}

/**
 * V8 reports wasm traps as `WebAssembly.RuntimeError` with a fixed message per trap kind and no
 * code, so this table is the one place that reads messages; everything above it uses `TrapCode`.
 */
const V8_TRAPS: [RegExp, TrapCode][] = [
  [/^unreachable/, 'unreachable'],
  [/memory access out of bounds/, 'memory-out-of-bounds'],
  [/divide by zero|remainder by zero/, 'integer-divide-by-zero'],
  [/divide result unrepresentable/, 'integer-overflow'],
  [/float unrepresentable in integer range/, 'bad-conversion-to-integer'],
  [
    /table index is out of bounds|invalid index into function table|element segment out of bounds/,
    'table-out-of-bounds',
  ],
  [/null function/, 'indirect-call-to-null'],
  [/signature mismatch/, 'bad-signature'],
  [/dereferencing a null pointer|null/, 'null-reference'],
  [/data segment out of bounds|array element access out of bounds|offset out of bounds/, 'memory-out-of-bounds'],
];

/** Turns whatever unwound a guest into a `BridgeError` with the right kind and code. */
export function classifyTrap(e: unknown, context: { outOfFuel: boolean; name: string; fuel?: number }): BridgeError {
  if (e instanceof BridgeError) return e;
  if (e instanceof OutputLimitReached) {
    return trapError('output-limit', context.name, { maxOutputBytes: e.limit });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return trapError('stack-overflow', context.name);
  }
  if (e instanceof WasiMemoryFault) {
    return new BridgeError('trap', `${context.name}: ${e.message}`, { code: 'memory-out-of-bounds', cause: e });
  }
  if (e instanceof WebAssembly.RuntimeError) {
    if (context.outOfFuel) {
      return trapError('out-of-fuel', context.name, { fuel: context.fuel });
    }
    const code = V8_TRAPS.find(([re]) => re.test(e.message))?.[1] ?? 'unknown';
    return trapError(code, context.name, { engineMessage: e.message });
  }
  const Exception = (WebAssembly as unknown as { Exception?: new (...a: never[]) => unknown }).Exception;
  if (Exception && e instanceof Exception) {
    return trapError('exception', context.name);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new BridgeError('trap', `${context.name}: the guest failed: ${message}`, { code: 'unknown', cause: e });
}
