import type { SpecNumber, TextExpectation } from './types.js';

/** Longest excerpt of actual output quoted in a failure message. */
const QUOTE_LIMIT = 200;

/** A value as JSON, shortened for one-line messages. */
export function quote(value: unknown): string {
  const text =
    typeof value === 'bigint'
      ? value.toString()
      : (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value));
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}... (${text.length} characters)` : text;
}

/** Null when `actual` meets the expectation, else why not (prefixed with `what`, such as `stdout`). */
export function checkText(what: string, expected: TextExpectation, actual: string): string | null {
  if (typeof expected === 'string')
    return actual === expected ? null : `${what}: expected ${quote(expected)}, got ${quote(actual)}`;
  if ('contains' in expected)
    return actual.includes(expected.contains)
      ? null
      : `${what}: expected to contain ${quote(expected.contains)}, got ${quote(actual)}`;
  return new RegExp(expected.matches).test(actual)
    ? null
    : `${what}: expected to match /${expected.matches}/, got ${quote(actual)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The path of the first place where `actual` differs from `expected` (JSON values: key order does
 * not matter, array order does), or null when they are deep-equal.
 */
export function firstDifference(
  expected: unknown,
  actual: unknown,
  path = '',
): { path: string; expected: unknown; actual: unknown } | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return { path, expected, actual };
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return { path, expected, actual };
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of [...keys].sort()) {
      const sub = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!Object.hasOwn(expected, key) || !Object.hasOwn(actual, key))
        return { path: sub, expected: expected[key], actual: actual[key] };
      const d = firstDifference(expected[key], actual[key], sub);
      if (d) return d;
    }
    return null;
  }
  return Object.is(expected, actual) || (expected === 0 && actual === 0) ? null : { path, expected, actual };
}

export function checkJson(expected: unknown, actual: unknown): string | null {
  const d = firstDifference(expected, actual);
  if (!d) return null;
  const show = (v: unknown) => (v === undefined ? '(absent)' : quote(v));
  const where = d.path ? `output${d.path}` : 'output';
  const whole = d.path ? ` (whole output ${quote(actual)})` : '';
  return `${where}: expected ${show(d.expected)}, got ${show(d.actual)}${whole}`;
}

/** One spelling per wasm number, so that 3, 3n and "3" compare equal, as do NaN and "NaN". */
function canonical(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? BigInt(v).toString() : v;
  return quote(v);
}

function numberList(values: readonly unknown[]): string {
  return `[${values.map(canonical).join(', ')}]`;
}

export function checkReturns(expected: SpecNumber | SpecNumber[], actual: unknown): string | null {
  const want = Array.isArray(expected) ? expected : [expected];
  const got = Array.isArray(actual) ? actual : actual === undefined ? [] : [actual];
  const same = want.length === got.length && want.every((w, i) => canonical(w) === canonical(got[i]));
  return same ? null : `returns: expected ${numberList(want)}, got ${numberList(got)}`;
}

/** A spec number as the bridge takes it: i64 beyond 2^53 and the float specials come as strings. */
export function toWasmNumber(v: SpecNumber): number | bigint {
  if (typeof v === 'number') return v;
  if (/^-?\d+$/.test(v)) {
    const big = BigInt(v);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  return Number(v);
}
