import { describe, expect, it } from 'vitest';
import { allFixtures, fixtureBytes, watToWasm } from '../../../tools/fixtures.ts';
import {
  capMemory,
  countGrowFailures,
  decodeModule,
  encodeModule,
  FUEL_EXPORT,
  GROW_FAILURES_EXPORT,
  InstrumentError,
  importDefinedMemory,
  injectFuelMeter,
  POOLED_MEMORY_SECTION,
  readPreamble,
} from '../src/index.js';

type Exports = Record<string, unknown>;

const coreFixtures = () => allFixtures().filter((f) => readPreamble(fixtureBytes(f)).kind === 'core');

async function instrumented(wat: string, fuel: bigint): Promise<{ exports: Exports; fuel: WebAssembly.Global }> {
  const m = decodeModule(await watToWasm(wat));
  injectFuelMeter(m, fuel);
  const bytes = encodeModule(m);
  expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource);
  return { exports: instance.exports as Exports, fuel: instance.exports[FUEL_EXPORT] as WebAssembly.Global };
}

const LOOPS = `(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "spin") (loop $forever (br $forever))))`;

describe('injectFuelMeter', () => {
  it('keeps results and consumes the same fuel on every run, more for more iterations', async () => {
    const used: bigint[] = [];
    for (const n of [10, 10, 100]) {
      const { exports, fuel } = await instrumented(LOOPS, 1_000_000n);
      expect((exports.sum as (n: number) => number)(n)).toBe((n * (n + 1)) / 2);
      used.push(1_000_000n - (fuel.value as bigint));
    }
    expect(used[0]).toBe(used[1]);
    expect(used[0]).toBeGreaterThan(0n);
    expect(used[2]).toBeGreaterThan((used[0] as bigint) * 5n);
  });

  it('stops an endless loop with a trap and leaves the fuel negative', async () => {
    const { exports, fuel } = await instrumented(LOOPS, 10_000n);
    expect(() => (exports.spin as () => void)()).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('stops endless recursion by charging every call', async () => {
    const { exports, fuel } = await instrumented('(module (func $f (export "f") (call $f)))', 5_000n);
    expect(() => (exports.f as () => void)()).toThrow();
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('meters a real compiled program and keeps it valid', () => {
    const m = decodeModule(fixtureBytes('kernel.wasm'));
    injectFuelMeter(m, 1n << 40n);
    expect(WebAssembly.validate(encodeModule(m) as BufferSource)).toBe(true);
  });

  // Costs by hand: each region is charged its instruction count (ends and elses included) up front,
  // the body outside loops on entry and each loop on every pass through its header.
  const EXACT = `(module
    (type $unit (func (result i32)))
    (table 1 funcref)
    (elem (i32.const 0) $seven)
    ;; loop, end = 2 on entry; local.get, i32.const, i32.sub, local.tee, br_if, end = 6 per pass.
    (func (export "count") (param $n i32)
      (loop $again (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    ;; i32.const, end = 2.
    (func $seven (result i32) (i32.const 7))
    ;; call, call, i32.add, end = 4, plus 2 per call.
    (func (export "twice") (result i32) (i32.add (call $seven) (call $seven)))
    ;; i32.const, call_indirect, end = 3, plus 2.
    (func (export "indirect") (result i32) (call_indirect (type $unit) (i32.const 0)))
    ;; 14 per level, whichever arm runs.
    (func $fact (export "fact") (param i64) (result i64)
      (if (result i64) (i64.le_u (local.get 0) (i64.const 1))
        (then (i64.const 1))
        (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
    ;; local.get, if, i32.const, return, end, i32.const, end = 7.
    (func (export "early") (param i32) (result i32)
      (if (local.get 0) (then (return (i32.const 1))))
      (i32.const 2))
    ;; block, i32.const, local.get, br_if, drop, end, i32.const, end = 8; br_if 1 leaves the function.
    (func (export "leave") (param i32) (result i32)
      (block (drop (br_if 1 (i32.const 5) (local.get 0))))
      (i32.const 6))
    ;; block, i32.const, local.get, br_table, end, i32.const, i32.add, end = 8; label 1 leaves the function.
    (func (export "table") (param i32) (result i32)
      (block (result i32) (br_table 0 1 (i32.const 3) (local.get 0)))
      (i32.add (i32.const 10))))`;

  it('charges exactly the instructions of each region, loops per pass', async () => {
    const { exports, fuel } = await instrumented(EXACT, 1000n);
    const spent = (call: () => unknown, expected: unknown): bigint => {
      const before = fuel.value as bigint;
      expect(call()).toBe(expected);
      return before - (fuel.value as bigint);
    };
    const fn = <A extends unknown[]>(name: string) => exports[name] as (...args: A) => unknown;
    expect(spent(() => fn('count')(1), undefined)).toBe(8n);
    expect(spent(() => fn('count')(10), undefined)).toBe(62n);
    expect(spent(() => fn('twice')(), 14)).toBe(8n);
    expect(spent(() => fn('indirect')(), 7)).toBe(5n);
    expect(spent(() => fn('fact')(5n), 120n)).toBe(70n);
    expect(spent(() => fn('early')(1), 1)).toBe(7n);
    expect(spent(() => fn('early')(0), 2)).toBe(7n);
    expect(spent(() => fn('leave')(1), 5)).toBe(8n);
    expect(spent(() => fn('leave')(0), 6)).toBe(8n);
    expect(spent(() => fn('table')(0), 13)).toBe(8n);
    expect(spent(() => fn('table')(1), 3)).toBe(8n);
  });

  it('runs on a budget the host sets before each call, to the last unit', async () => {
    const { exports, fuel } = await instrumented(EXACT, 0n);
    const count = exports.count as (n: number) => void;
    fuel.value = 100n;
    count(10);
    expect(fuel.value).toBe(38n);
    fuel.value = 62n;
    count(10);
    expect(fuel.value).toBe(0n);
    fuel.value = 61n;
    expect(() => count(10)).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('leaves the fuel negative when a callee runs out', async () => {
    const { exports, fuel } = await instrumented(EXACT, 30n);
    expect(() => (exports.fact as (n: bigint) => bigint)(5n)).toThrow(/unreachable/);
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('charges tail calls and keeps them in constant stack space', async () => {
    const wat = `;; features: tail_call
      (module
        ;; local.get, i64.eqz, if, i64.const, else, local.get, i64.const, i64.sub, return_call, end, end = 11.
        (func $down (export "down") (param $n i64) (result i64)
          (if (result i64) (i64.eqz (local.get $n))
            (then (i64.const 0))
            (else (return_call $down (i64.sub (local.get $n) (i64.const 1)))))))`;
    const { exports, fuel } = await instrumented(wat, 1n << 40n);
    expect((exports.down as (n: bigint) => bigint)(1_000_000n)).toBe(0n);
    expect((1n << 40n) - (fuel.value as bigint)).toBe(11n * 1_000_001n);
  });

  it('charges code that throws, whether the exception is caught or escapes', async () => {
    const wat = `;; features: exceptions
      (module
        (tag $oops)
        ;; local.get, if, throw, end, end = 5.
        (func $check (param i32) (if (local.get 0) (then (throw $oops))))
        ;; try, local.get, call, i32.const, catch, i32.const, end, end = 8.
        (func (export "caught") (param i32) (result i32)
          (try (result i32) (do (call $check (local.get 0)) (i32.const 1)) (catch $oops (i32.const 2))))
        ;; local.get, call, end = 3.
        (func (export "escapes") (param i32) (call $check (local.get 0))))`;
    const { exports, fuel } = await instrumented(wat, 1000n);
    const caught = exports.caught as (x: number) => number;
    expect(caught(0)).toBe(1);
    expect(fuel.value).toBe(987n);
    expect(caught(1)).toBe(2);
    expect(fuel.value).toBe(974n);
    expect(() => (exports.escapes as (x: number) => void)(1)).toThrow(WebAssembly.Exception);
    expect(fuel.value).toBe(966n);
  });

  it('keeps every fixture the engine accepts valid once metered', () => {
    const checked = coreFixtures().filter((name) => {
      const bytes = fixtureBytes(name);
      if (!WebAssembly.validate(bytes as BufferSource)) return false;
      const m = decodeModule(bytes);
      injectFuelMeter(m, 1_000_000n);
      expect(WebAssembly.validate(encodeModule(m) as BufferSource), name).toBe(true);
      return true;
    });
    expect(checked.length).toBeGreaterThan(10);
  });

  it('refuses a module that already exports the fuel global name', async () => {
    const m = decodeModule(await watToWasm(`(module (global (export "${FUEL_EXPORT}") i32 (i32.const 0)))`));
    expect(() => injectFuelMeter(m, 10n)).toThrow(InstrumentError);
  });
});

describe('capMemory', () => {
  it('caps a memory without a maximum, so growth past the cap returns -1', async () => {
    const m = decodeModule(
      await watToWasm(
        '(module (memory (export "mem") 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))',
      ),
    );
    expect(capMemory(m, 4)).toEqual([0]);
    const { instance } = await WebAssembly.instantiate(encodeModule(m) as BufferSource);
    const grow = instance.exports.grow as (n: number) => number;
    expect(grow(3)).toBe(1);
    expect(grow(1)).toBe(-1);
    expect((instance.exports.mem as WebAssembly.Memory).buffer.byteLength).toBe(4 * 65536);
  });

  it('lowers a larger maximum and leaves a smaller one alone', async () => {
    const big = decodeModule(await watToWasm('(module (memory 1 100))'));
    capMemory(big, 8);
    expect(big.sections.find((s) => s.id === 'memory')).toMatchObject({ memories: [{ min: 1, max: 8 }] });
    const small = decodeModule(await watToWasm('(module (memory 1 2))'));
    expect(capMemory(small, 8)).toEqual([]);
  });

  it('caps imported memories too', async () => {
    const m = decodeModule(await watToWasm('(module (import "env" "memory" (memory 1)))'));
    capMemory(m, 2);
    const imp = m.sections.find((s) => s.id === 'import');
    expect(imp).toMatchObject({ imports: [{ desc: { kind: 'memory', limits: { max: 2 } } }] });
  });

  it('refuses a module whose minimum is already over the cap, saying what to do', async () => {
    const m = decodeModule(await watToWasm('(module (memory 10))'));
    try {
      capMemory(m, 4);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InstrumentError);
      expect((e as InstrumentError).code).toBe('memory-minimum-over-cap');
      expect((e as InstrumentError).message).toMatch(/10 pages .* over the cap of 4 pages .*raise the memory limit/);
    }
  });
});

const GROW = `(module
  (memory (export "mem") 1 3)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (param $n i32)
    (loop $again
      (drop (memory.grow (i32.const 1)))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`;

async function growCounted(
  wat: string,
  instrument: (m: ReturnType<typeof decodeModule>) => void,
): Promise<{ exports: Exports; failures: WebAssembly.Global }> {
  const m = decodeModule(await watToWasm(wat));
  instrument(m);
  const bytes = encodeModule(m);
  expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource);
  return { exports: instance.exports, failures: instance.exports[GROW_FAILURES_EXPORT] as WebAssembly.Global };
}

describe('countGrowFailures', () => {
  it('counts each refused memory.grow and leaves every result as it was', async () => {
    const { exports, failures } = await growCounted(GROW, (m) => countGrowFailures(m));
    const grow = exports.grow as (n: number) => number;
    expect(failures.value).toBe(0);
    expect(grow(1)).toBe(1);
    expect(grow(5)).toBe(-1);
    expect(grow(1)).toBe(2);
    expect(grow(0)).toBe(3);
    expect(grow(1)).toBe(-1);
    expect(failures.value).toBe(2);
    (exports.spin as (n: number) => void)(4);
    expect(failures.value).toBe(6);
  });

  it('counts growth refused by capMemory', async () => {
    const wat = '(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))';
    const { exports, failures } = await growCounted(wat, (m) => {
      capMemory(m, 2);
      countGrowFailures(m);
    });
    const grow = exports.grow as (n: number) => number;
    expect([grow(1), grow(1), grow(1)]).toEqual([1, -1, -1]);
    expect(failures.value).toBe(2);
  });

  it('works with the fuel meter applied before or after', async () => {
    for (const order of ['fuel first', 'counter first'] as const) {
      const { exports, failures } = await growCounted(GROW, (m) => {
        if (order === 'fuel first') injectFuelMeter(m, 1_000_000n);
        countGrowFailures(m);
        if (order === 'counter first') injectFuelMeter(m, 1_000_000n);
      });
      (exports.spin as (n: number) => void)(5);
      expect(failures.value, order).toBe(3);
      expect((exports[FUEL_EXPORT] as WebAssembly.Global).value as bigint, order).toBeLessThan(1_000_000n);
    }
  });

  it('refuses a module that already exports the counter name', async () => {
    const m = decodeModule(await watToWasm(`(module (global (export "${GROW_FAILURES_EXPORT}") i32 (i32.const 0)))`));
    expect(() => countGrowFailures(m)).toThrow(expect.objectContaining({ code: 'export-name-taken' }));
  });

  it('refuses a 64-bit memory', async () => {
    const m = decodeModule(await watToWasm('(module (memory 1))'));
    const memory = m.sections.find((s) => s.id === 'memory');
    if (memory?.id === 'memory' && memory.memories[0]) memory.memories[0].flags |= 0x04;
    expect(() => countGrowFailures(m)).toThrow(expect.objectContaining({ code: 'memory64' }));
  });

  it('keeps every fixture the engine accepts valid', () => {
    for (const name of coreFixtures()) {
      const bytes = fixtureBytes(name);
      if (!WebAssembly.validate(bytes as BufferSource)) continue;
      const m = decodeModule(bytes);
      countGrowFailures(m);
      injectFuelMeter(m, 1_000_000n);
      expect(WebAssembly.validate(encodeModule(m) as BufferSource), name).toBe(true);
    }
  });
});

describe('importDefinedMemory', () => {
  const NAMES = { module: 'host', name: 'mem' };
  const WAT = `(module
    (type $t (func (param i32) (result i32)))
    (import "env" "f" (func $f (type $t)))
    (memory (export "memory") 2 5)
    (data (i32.const 100) "seed")
    (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "size") (result i32) (memory.size))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

  it('makes the memory an import at the same index, recorded in a custom section', async () => {
    const m = decodeModule(await watToWasm(WAT));
    expect(importDefinedMemory(m, NAMES)).toEqual({ ...NAMES, initial: 2, maximum: 5 });
    expect(m.sections.some((s) => s.id === 'memory')).toBe(false);
    const bytes = encodeModule(m);
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    const compiled = new WebAssembly.Module(bytes as BufferSource);
    expect(WebAssembly.Module.imports(compiled)).toContainEqual({ module: 'host', name: 'mem', kind: 'memory' });
    const [section] = WebAssembly.Module.customSections(compiled, POOLED_MEMORY_SECTION);
    expect(JSON.parse(new TextDecoder().decode(section))).toEqual({ ...NAMES, initial: 2, maximum: 5 });
    // The host's memory receives the data segments and is the one the module exports and grows.
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 5 });
    const { exports } = new WebAssembly.Instance(compiled, { env: { f: (x: number) => x }, host: { mem: memory } });
    expect(exports.memory).toBe(memory);
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer, 100, 4))).toBe('seed');
    (exports.poke as (a: number, v: number) => void)(7, 42);
    expect(new Uint8Array(memory.buffer)[7]).toBe(42);
    expect((exports.grow as (n: number) => number)(3)).toBe(2);
    expect((exports.grow as (n: number) => number)(1)).toBe(-1);
    expect(memory.buffer.byteLength).toBe(5 * 65536);
  });

  it('adds an import section when the module has none', async () => {
    const m = decodeModule(await watToWasm('(module (memory 1 1) (func (export "size") (result i32) (memory.size)))'));
    expect(importDefinedMemory(m, NAMES)).toMatchObject({ initial: 1, maximum: 1 });
    const bytes = encodeModule(m);
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
      host: { mem: new WebAssembly.Memory({ initial: 1, maximum: 1 }) },
    });
    expect((exports.size as () => number)()).toBe(1);
  });

  it('leaves alone modules it cannot apply to', async () => {
    for (const wat of [
      '(module)',
      '(module (memory 1))', // no maximum: capMemory must run first
      '(module (import "env" "memory" (memory 1 2)))',
      ';; features: threads\n(module (memory 1 2 shared))',
      ';; features: memory64\n(module (memory i64 1 2))',
    ]) {
      const m = decodeModule(await watToWasm(wat));
      const before = encodeModule(m);
      expect(importDefinedMemory(m, NAMES), wat).toBeUndefined();
      expect(encodeModule(m), wat).toEqual(before);
    }
    const large = decodeModule(await watToWasm('(module (memory 17 20))'));
    expect(importDefinedMemory(large, NAMES, { maxInitialPages: 16 })).toBeUndefined();
    expect(importDefinedMemory(large, NAMES, { maxInitialPages: 17 })).toMatchObject({ initial: 17 });
    const twice = decodeModule(await watToWasm('(module (memory 1 2))'));
    expect(importDefinedMemory(twice, NAMES)).toBeDefined();
    expect(importDefinedMemory(twice, NAMES)).toBeUndefined();
    expect(twice.sections.filter((s) => s.id === 'custom' && s.name === POOLED_MEMORY_SECTION)).toHaveLength(1);
  });

  it('replaces a section of its name that came with the input', async () => {
    const m = decodeModule(await watToWasm('(module (memory 1 2))'));
    const forged = new TextEncoder().encode(JSON.stringify({ module: 'env', name: 'x', initial: 0, maximum: 9999 }));
    m.sections.push({ id: 'custom', name: POOLED_MEMORY_SECTION, data: forged });
    importDefinedMemory(m, NAMES);
    const compiled = new WebAssembly.Module(encodeModule(m) as BufferSource);
    const sections = WebAssembly.Module.customSections(compiled, POOLED_MEMORY_SECTION);
    expect(sections.map((b) => JSON.parse(new TextDecoder().decode(b)))).toEqual([
      { ...NAMES, initial: 1, maximum: 2 },
    ]);
  });

  it('keeps every fixture the engine accepts valid, capped, metered and counted', () => {
    let converted = 0;
    for (const f of coreFixtures()) {
      const bytes = fixtureBytes(f);
      if (!WebAssembly.validate(bytes as BufferSource)) continue;
      const m = decodeModule(bytes);
      capMemory(m, 1024);
      injectFuelMeter(m, 1_000_000n);
      countGrowFailures(m);
      if (importDefinedMemory(m, NAMES)) converted++;
      expect(WebAssembly.validate(encodeModule(m) as BufferSource), f).toBe(true);
    }
    expect(converted).toBeGreaterThan(5);
  });
});
