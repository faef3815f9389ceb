import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { watToWasm } from '../../../tools/build-fixtures.mts';
import type { NativeEngine as NativeEngineClass, NativeModule, NativePlan } from '../index.js';

type Addon = typeof import('../index.js');

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Set in CI (and wherever the addon must exist): a missing addon fails the tests instead of skipping them. */
export const nativeRequired = Boolean(process.env.PORTALIS_REQUIRE_NATIVE);

/**
 * The addon, or why it is absent. Only a missing `.node` file counts as "not built"; a binary
 * that exists but fails to load is an error, whatever the environment says.
 */
function loadAddon(): { addon: Addon } | { reason: string } {
  if (!readdirSync(packageDir).some((f) => f.endsWith('.node'))) {
    return { reason: 'the addon is not built (run `npm run build:native`; needs a Rust toolchain)' };
  }
  return { addon: createRequire(import.meta.url)('../index.js') as Addon };
}

const loaded = loadAddon();

/** Why the native suites skip, or `undefined` when they run. */
export const skipReason = 'reason' in loaded && !nativeRequired ? loaded.reason : undefined;

/**
 * `describe` for suites that need the addon: skipped (the reason is in the title) when the addon
 * is not built and PORTALIS_REQUIRE_NATIVE is unset; with it set, a missing addon fails every test.
 */
export function describeNative(title: string, body: () => void): void {
  describe.skipIf(skipReason !== undefined)(skipReason ? `${title} (skipped: ${skipReason})` : title, body);
}

export function addon(): Addon {
  if ('reason' in loaded) throw new Error(`PORTALIS_REQUIRE_NATIVE is set, but ${loaded.reason}`);
  return loaded.addon;
}

export function newEngine(options?: { maxWasmStack?: number }): NativeEngineClass {
  return new (addon().NativeEngine)(options);
}

export async function compileWat(
  engine: NativeEngineClass,
  wat: string,
  options: { metered: boolean; cacheDir?: string } = { metered: false },
): Promise<NativeModule> {
  return engine.compile(await watToWasm(wat), options);
}

/** A plan with nothing granted and roomy limits; `overrides` replace whole fields. */
export function plan(overrides: Partial<NativePlan> = {}): NativePlan {
  return {
    kind: 'command',
    args: ['guest'],
    env: [],
    preopens: [],
    network: { allow: false, hosts: [] },
    limits: { maxMemoryBytes: 16 << 20, timeoutMs: 5_000, maxOutputBytes: 1 << 20 },
    ...overrides,
  };
}

export function call(fn: string, fnArgs: NativePlan['fnArgs'] = [], overrides: Partial<NativePlan> = {}): NativePlan {
  return plan({ kind: 'function', function: fn, fnArgs, ...overrides });
}

/** Resolves with the rejection of `promise`, which must reject. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}

const WASI = 'wasi_snapshot_preview1';

/**
 * A WASI command that prints its argv and then its environment to stdout (one entry per line),
 * copies stdin to stderr, and exits with code 3.
 */
export const ECHO_WAT = `(module
  (import "${WASI}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "${WASI}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 12) "\\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func $print_lines (param $count i32) (param $ptrs i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
      (call $write (i32.const 1) (local.get $s) (call $strlen (local.get $s)))
      (call $write (i32.const 1) (i32.const 12) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func (export "_start") (local $n i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $print_lines (i32.load (i32.const 16)) (i32.const 1024))
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $environ_get (i32.const 2048) (i32.const 8192)))
    (call $print_lines (i32.load (i32.const 16)) (i32.const 2048))
    (block $eof (loop $next
      (i32.store (i32.const 24) (i32.const 32768))
      (i32.store (i32.const 28) (i32.const 4096))
      (drop (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 32)))
      (local.set $n (i32.load (i32.const 32)))
      (br_if $eof (i32.eqz (local.get $n)))
      (call $write (i32.const 2) (i32.const 32768) (local.get $n))
      (br $next)))
    (call $proc_exit (i32.const 3))))`;

/** Exports with numeric signatures, and ways to fail: a trap, a loop, deep recursion, memory growth. */
export const NUMBERS_WAT = `(module
  (memory (export "memory") 1)
  (func (export "add32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "id32") (param i32) (result i32) (local.get 0))
  (func (export "id64") (param i64) (result i64) (local.get 0))
  (func (export "idf32") (param f32) (result f32) (local.get 0))
  (func (export "idf64") (param f64) (result f64) (local.get 0))
  (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
  (func (export "swap") (param f64 i64) (result i64 f64) (local.get 1) (local.get 0))
  (func (export "nothing"))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "crash") (unreachable))
  (func (export "spin") (loop $forever (br $forever)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $i))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

/**
 * The JSON plugin protocol: a bump allocator, and \`echo\` that replies with its input, the
 * reply as one packed i64 (ptr << 32 | len).
 */
export const JSON_WAT = `(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32) (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len)))))`;

/** Writes "line\\n" \`times\` times to stdout and "oops\\n" once to stderr, as separate writes. */
export function chattyWat(times: number): string {
  return `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "line\\n")
  (data (i32.const 80) "oops\\n")
  (func $write (param $fd i32) (param $ptr i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${times})))
      (call $write (i32.const 1) (i32.const 64))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $write (i32.const 2) (i32.const 80))))`;
}

/** Reads the wall clock through WASI and returns it (a function call on a module that imports WASI). */
export const CLOCK_WAT = `(module
  (import "${WASI}" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "now") (result i64)
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0)))
    (i64.load (i32.const 0))))`;
