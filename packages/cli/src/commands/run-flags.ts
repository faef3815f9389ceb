import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExportInfo, HostGrant, PathGrant, WasmNumber } from '@portalis/wassette-bridge';
import { parseFuncType } from '@portalis/wassette-bridge';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../io.js';

/** The `--dir` and `--dir-ro` syntax, as in wasmtime: `HOST[::GUEST]`, GUEST defaulting to HOST as written. */
export function pathGrant(readOnly: boolean) {
  return (value: string, previous: PathGrant[] = []): PathGrant[] => {
    const sep = value.indexOf('::');
    const host = sep < 0 ? value : value.slice(0, sep);
    const guest = sep < 0 ? value : value.slice(sep + 2);
    if (!host) throw new InvalidArgumentError('expected HOST[::GUEST], such as ./data::/data');
    if (!guest) throw new InvalidArgumentError(`the guest path after '::' is empty; write ${host}::/data`);
    if (guest.split(/[/\\]/).includes('..'))
      throw new InvalidArgumentError(`the guest path ${guest} must not contain '..'`);
    let isDir: boolean;
    try {
      isDir = statSync(host).isDirectory();
    } catch {
      throw new InvalidArgumentError(`no such directory: ${host}`);
    }
    if (!isDir) throw new InvalidArgumentError(`${host} is not a directory`);
    return [...previous, { hostPath: resolve(host), guestPath: guest, readOnly }];
  };
}

/** `--env KEY=VALUE`: an explicit variable; the value may itself hold `=`. */
export function envEntry(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0)
    throw new InvalidArgumentError(
      'expected KEY=VALUE, such as MODE=fast (to pass a host variable through, use --env-allow NAME)',
    );
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** `--env-allow PATTERN`: a host variable name or glob the guest may read. */
export function envPattern(value: string, previous: string[] = []): string[] {
  if (!/^[A-Za-z_*][A-Za-z0-9_*]*$/.test(value))
    throw new InvalidArgumentError('expected a variable name or a glob such as APP_*');
  return [...previous, value];
}

/**
 * `--allow-host HOST[:PORT]`: an outgoing destination: a name (`api.example.com`), a glob
 * (`*.example.com`), an IP address (`127.0.0.1`, `[::1]`) or `*`, optionally with one port.
 */
export function hostGrant(value: string, previous: HostGrant[] = []): HostGrant[] {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  const host = m?.[1];
  if (!m || !host || !/^(\*|\[[0-9A-Fa-f:.]+\]|(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?)$/.test(host))
    throw new InvalidArgumentError('expected HOST[:PORT], such as api.example.com:443, *.example.com, [::1]:8080 or *');
  if (m[2] === undefined) return [...previous, { host, port: undefined }];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`port ${m[2]} is not between 1 and 65535`);
  return [...previous, { host, port }];
}

const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** `--max-memory MB`: mebibytes, fractions allowed; the cap is rounded down to 64 KiB pages by the bridge. */
export function megabytes(value: string): number {
  const mb = Number(value);
  if (!DECIMAL.test(value.trim()) || !(mb > 0))
    throw new InvalidArgumentError('expected a size in MiB greater than 0, such as 64 or 0.5');
  return Math.floor(mb * 1024 * 1024);
}

/** `--timeout SECONDS`, fractions allowed; returns milliseconds. */
export function seconds(value: string): number {
  const s = Number(value);
  if (!DECIMAL.test(value.trim()) || !(s > 0))
    throw new InvalidArgumentError('expected a number of seconds greater than 0, such as 5 or 0.5');
  return Math.max(1, Math.round(s * 1000));
}

/** `--fuel N`: a whole number of units greater than 0. */
export function fuelUnits(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a whole number of fuel units greater than 0, such as 1000000');
  return n;
}

/** Marks a parsed `--json-call` value, so that a JSON `null` input is told apart from no flag. */
export interface JsonInput {
  value: unknown;
}

/** `--json-call JSON|@FILE`: inline JSON, or JSON read from a file. */
export function jsonInput(text: string): JsonInput {
  let source = text;
  if (text.startsWith('@')) {
    const file = text.slice(1);
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  try {
    return { value: JSON.parse(source) };
  } catch (e) {
    throw new InvalidArgumentError(`not valid JSON (${(e as Error).message})`);
  }
}

const INT = /^[+-]?(0x[0-9a-f]+|\d+)$/i;

function integer(text: string): bigint | undefined {
  if (!INT.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const v = BigInt(digits);
  return negative ? -v : v;
}

/** Parses one `--invoke` argument as the wasm type the export declares; i64 becomes a bigint. */
function wasmNumber(type: string, text: string, position: number, fn: string): WasmNumber {
  const bad = (what: string) =>
    new UsageError(`argument ${position} of ${fn} must be ${what} (it is ${type}), got '${text}'`);
  switch (type) {
    case 'i32': {
      const v = integer(text);
      if (v === undefined || v < -(2n ** 31n) || v >= 2n ** 32n) throw bad('a 32-bit integer');
      return Number(BigInt.asIntN(32, v));
    }
    case 'i64': {
      const v = integer(text);
      if (v === undefined || v < -(2n ** 63n) || v >= 2n ** 64n) throw bad('a 64-bit integer');
      return BigInt.asIntN(64, v);
    }
    case 'f32':
    case 'f64': {
      const t = text.toLowerCase();
      const v = t === 'nan' ? Number.NaN : t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(text);
      if (Number.isNaN(v) && t !== 'nan') throw bad('a number');
      if (text.trim() === '') throw bad('a number');
      return type === 'f32' ? Math.fround(v) : v;
    }
    default:
      throw new UsageError(`${fn} takes a ${type} parameter, which cannot be given on the command line`);
  }
}

/** Checks the count and parses each `--invoke` argument against the export's parameter types. */
export function invokeArgs(exp: ExportInfo, args: readonly string[]): WasmNumber[] {
  const types = parseFuncType(exp.type).params;
  if (types.length !== args.length) {
    const want = types.length === 0 ? 'no arguments' : `${types.length} (${types.join(' ')})`;
    throw new UsageError(`${exp.name} takes ${want}, got ${args.length}`);
  }
  return types.map((t, i) => wasmNumber(t, args[i] as string, i + 1, exp.name));
}
