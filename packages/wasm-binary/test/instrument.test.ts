import { describe, expect, it } from 'vitest';
import { fixtureBytes, watToWasm } from '../../../tools/fixtures.ts';
import { capMemory, decodeModule, encodeModule, FUEL_EXPORT, InstrumentError, injectFuelMeter } from '../src/index.js';

type Exports = Record<string, unknown>;

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
