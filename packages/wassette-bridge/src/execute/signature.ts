import { BridgeError } from '../errors.js';
import type { ExportInfo } from '../validate/report.js';
import type { WasmNumber } from './types.js';

/** A function type's parameter and result value types, in WAT spelling (`i32`, `f64`, `externref`). */
export interface FuncSignature {
  params: string[];
  results: string[];
}

const parsed = new Map<string, FuncSignature>();

/** Reads `(func (param i32 i64) (result f64))`, the spelling `ExportInfo.type` uses. Results are shared: do not mutate. */
export function parseFuncType(type: string): FuncSignature {
  let sig = parsed.get(type);
  if (!sig) {
    const list = (word: 'param' | 'result'): string[] =>
      [...type.matchAll(new RegExp(`\\(${word} ([^()]*)\\)`, 'g'))]
        .flatMap((m) => (m[1] ?? '').trim().split(/\s+/))
        .filter(Boolean);
    sig = { params: list('param'), results: list('result') };
    if (parsed.size < 10_000) parsed.set(type, sig);
  }
  return sig;
}

/** The exported function `name`, or a clear error listing what the module does export. */
export function findFunction(exports: readonly ExportInfo[], name: string, moduleName: string): FuncSignature {
  const found = exports.find((e) => e.name === name);
  if (found?.kind !== 'func') {
    const funcs = exports.filter((e) => e.kind === 'func').map((e) => e.name);
    throw new BridgeError(
      'invalid-input',
      `${moduleName} has no exported function "${name}"${found ? ` ("${name}" is a ${found.kind})` : ''}; it exports: ${funcs.join(', ') || 'no functions'}`,
      { details: { export: name } },
    );
  }
  return parseFuncType(found.type);
}

const I32_MIN = -(2 ** 31);
const U32_MAX = 2 ** 32 - 1;
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/**
 * Checks and converts host arguments for a call: i32 takes an integer number (signed or unsigned
 * 32-bit), i64 a bigint (or a safe integer number), f32 and f64 any number. Anything else is an
 * `invalid-input` error that names the argument.
 */
export function coerceArgs(sig: FuncSignature, args: readonly WasmNumber[], name: string): WasmNumber[] {
  if (args.length !== sig.params.length) {
    throw new BridgeError(
      'invalid-input',
      `"${name}" takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'} (${sig.params.join(', ') || 'none'}), got ${args.length}`,
    );
  }
  return sig.params.map((type, i) => {
    const v = args[i] as WasmNumber;
    const bad = (want: string): BridgeError =>
      new BridgeError('invalid-input', `argument ${i + 1} of "${name}" must be ${want}, got ${String(v)}`, {
        details: { argument: i + 1, type },
      });
    switch (type) {
      case 'i32':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < I32_MIN || v > U32_MAX)
          throw bad('a 32-bit integer (i32)');
        return v | 0;
      case 'i64': {
        const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : undefined;
        if (b === undefined || b < I64_MIN || b > U64_MAX) throw bad('a 64-bit integer (i64)');
        return BigInt.asIntN(64, b);
      }
      case 'f32':
      case 'f64':
        if (typeof v !== 'number') throw bad(`a number (${type})`);
        return v;
      default:
        throw new BridgeError('invalid-input', `"${name}" takes a ${type} argument, which the host cannot pass`, {
          details: { argument: i + 1, type },
        });
    }
  });
}
