import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticModule } from '../../../tools/bench/synthetic.mts';
import { allFixtures, fixtureBytes, watToWasm } from '../../../tools/fixtures.ts';
import type { ModuleInspection } from '../src/index.js';
import { inspectComponent, inspectModule, readPreamble, readSectionHeaders, WasmDecodeError } from '../src/index.js';
import type { Instruction } from '../src/instructions.js';
import { encodeExpression } from '../src/instructions.js';
import { K } from '../src/opcodes.js';
import { SectionId } from '../src/sections.js';
import type { ValType } from '../src/types.js';
import { writeValType } from '../src/types.js';
import { SCANNER_FEATURE_SLOTS, scanValidCode } from '../src/valid-code-scan.js';
import { BinaryWriter } from '../src/writer.js';
import { sequence, valType } from './arbitraries.js';

const END = 0x0b;

interface Body {
  locals: [count: number, type: ValType][];
  code: Instruction[] | Uint8Array;
}

/** A module with one `(func)` type and one function per body, nothing else. */
function moduleOf(bodies: Body[]): Uint8Array {
  const w = new BinaryWriter();
  const section = (id: number, write: (s: BinaryWriter) => void) => {
    const s = new BinaryWriter();
    write(s);
    const payload = s.finish();
    w.u8(id);
    w.u32(payload.length);
    w.bytes(payload);
  };
  w.bytes(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  section(SectionId.type, (s) => s.bytes(Uint8Array.of(1, 0x60, 0, 0)));
  section(SectionId.function, (s) => {
    s.u32(bodies.length);
    for (const _ of bodies) s.u32(0);
  });
  section(SectionId.code, (s) => {
    s.u32(bodies.length);
    for (const b of bodies) {
      const body = new BinaryWriter();
      body.u32(b.locals.length);
      for (const [count, type] of b.locals) {
        body.u32(count);
        writeValType(body, type);
      }
      if (b.code instanceof Uint8Array) body.bytes(b.code);
      else encodeExpression(body, b.code);
      const bytes = body.finish();
      s.u32(bytes.length);
      s.bytes(bytes);
    }
  });
  return w.finish();
}

function codeSection(bytes: Uint8Array): { start: number; end: number } | undefined {
  const h = [...readSectionHeaders(bytes)].find((s) => s.id === SectionId.code);
  return h && { start: h.payloadStart, end: h.payloadEnd };
}

/** What the two paths must agree on. */
function summary(m: ModuleInspection): { features: string[]; instructions: number; functions: number } {
  return { features: [...m.features].sort(), instructions: m.instructionCount, functions: m.functions.length };
}

/**
 * The checking walk and the walk for engine-validated code give the same inspection, and the fast
 * walk really ran (it did not hand the section back to the checking walk).
 */
function expectSameInspection(bytes: Uint8Array, label = ''): void {
  const checked = inspectModule(bytes);
  const trusted = inspectModule(bytes, { engineValidated: true });
  expect(summary(trusted), label).toEqual(summary(checked));
  const code = codeSection(bytes);
  if (code) expect(scanValidCode(bytes, code.start, code.end), label).toBeDefined();
}

function coreModulesOf(name: string): Uint8Array[] {
  const bytes = fixtureBytes(name);
  const kind = readPreamble(bytes).kind;
  if (kind === 'core') return [bytes];
  const out: Uint8Array[] = [];
  const visit = (c: ReturnType<typeof inspectComponent>) => {
    for (const m of c.coreModules) out.push(m.bytes);
    for (const child of c.components) visit(child);
  };
  if (kind === 'component') visit(inspectComponent(bytes));
  return out;
}

// Multi-megabyte modules built by rustc and by clang, shipped in a dev dependency.
const realModules = [
  '../../../node_modules/@bytecodealliance/componentize-js/lib/spidermonkey-embedding-splicer.core.wasm',
  '../../../node_modules/@bytecodealliance/componentize-js/lib/starlingmonkey_embedding.wasm',
].map((p) => new URL(p, import.meta.url));

describe('scanValidCode agrees with the checking walk', () => {
  it('on every fixture, nested core modules of components included', () => {
    let modules = 0;
    for (const name of allFixtures()) {
      for (const bytes of coreModulesOf(name)) {
        expectSameInspection(bytes, name);
        modules++;
      }
    }
    expect(modules).toBeGreaterThan(20);
  });

  it.each(realModules.map((url) => [url.pathname.split('/').pop(), url] as const))(
    'on %s, a real compiler-built module',
    (_, url) => {
      if (!existsSync(url)) return;
      expectSameInspection(new Uint8Array(readFileSync(url)));
    },
  );

  it('on the synthetic benchmark modules', () => {
    for (const size of [1024, 10 * 1024, 300 * 1024]) expectSameInspection(syntheticModule(size), `${size}`);
  });

  it('on modules that use every proposal wabt can write', async () => {
    const bytes = await watToWasm(`;; features: simd threads tail_call exceptions multi_memory relaxed_simd
      (module
        (type $t (func (param i32) (result i32)))
        (memory $m 1 1 shared)
        (memory $n 1)
        (table 2 funcref)
        (table $u 1 externref)
        (tag $e (param i32))
        (func $simd (param v128 v128) (result v128) (local v128 externref)
          (drop (v128.load8_lane offset=70000 1 (i32.const 0) (local.get 1)))
          (drop (i32.load $n offset=4 (i32.const 0)))
          (memory.copy $n $m (i32.const 0) (i32.const 0) (i32.const 1))
          (drop (memory.size $n))
          (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 0)))
        (func $atomics (param i32) (result i32)
          (atomic.fence)
          (i64.atomic.rmw32.cmpxchg_u offset=8 (local.get 0) (i64.const -1) (i64.const 2)) drop
          (memory.atomic.notify (local.get 0) (i32.const 1)))
        (func $tail (type $t) (return_call $tail (local.get 0)))
        (func $indirect (type $t) (return_call_indirect (type $t) (local.get 0) (i32.const 1)))
        (func $control (param i32) (result i32)
          (block $a (block $b (loop $l (br_table $l $b $a (local.get 0)))))
          (block (result i32 i32) (i32.const 1) (i32.const 2)) drop drop
          (if (result f64) (local.get 0) (then (f64.const 1)) (else (f64.const nan:0x4))) drop
          (try (result i32) (do (throw $e (i32.const 3))) (catch $e) (catch_all (i32.const 4))))
        (func $refs (param i32)
          (table.copy 1 1 (i32.const 0) (i32.const 0) (i32.const 0))
          (drop (table.grow $u (ref.null extern) (i32.const 1)))
          (drop (select (result externref) (ref.null extern) (ref.null extern) (local.get 0)))
          (drop (i32.trunc_sat_f32_u (f32.const -1)))
          (drop (i64.extend32_s (i64.const 5))))
      )`);
    expectSameInspection(bytes);
    const features = inspectModule(bytes, { engineValidated: true }).features;
    for (const f of ['simd', 'relaxed-simd', 'threads', 'tail-call', 'legacy-exception-handling', 'multi-memory'])
      expect(features).toContain(f);
  });

  it('on random instruction sequences of every opcode, with random locals', () => {
    const local = fc.tuple(fc.nat({ max: 5 }), valType);
    const body = fc.record({
      locals: fc.array(local, { maxLength: 3 }),
      code: sequence.map((s): Instruction[] => [...s, { op: END }]),
    });
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 4 }), (bodies) => {
        expectSameInspection(moduleOf(bodies));
      }),
      { numRuns: 2000 },
    );
  });

  it('on random bytes: never throws, and agrees whenever the checking walk accepts them', () => {
    const interesting = fc.constantFrom(0x02, 0x04, 0x0b, 0x0e, 0x1c, 0x28, 0x40, 0x63, 0x7f, 0x80, 0xfc, 0xfd);
    const code = fc
      .array(fc.oneof(interesting, fc.nat({ max: 255 })), { maxLength: 48 })
      .map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(code, (expr) => {
        const bytes = moduleOf([{ locals: [], code: expr }]);
        const section = codeSection(bytes);
        if (section) scanValidCode(bytes, section.start, section.end);
        scanValidCode(expr, 0, expr.length);
        let checked: ModuleInspection;
        try {
          checked = inspectModule(bytes);
        } catch (e) {
          if (e instanceof WasmDecodeError) return;
          throw e;
        }
        expect(summary(inspectModule(bytes, { engineValidated: true }))).toEqual(summary(checked));
      }),
      { numRuns: 5000 },
    );
  });

  it('on a code section over 16 MiB, which gets a scanner instance of its own', () => {
    const run = new Uint8Array(1024 * 1024);
    for (let i = 0; i < run.length; i += 4) run.set([0x41, 0x81, 0x01, 0x1a], i); // i32.const 129, drop
    const body = Uint8Array.of(0x02, 0x40, 0x0b); // an empty block
    const code = new Uint8Array(run.length + body.length + 1);
    code.set(run);
    code.set(body, run.length);
    code[code.length - 1] = END;
    const bytes = moduleOf(Array.from({ length: 17 }, () => ({ locals: [], code })));
    expect(codeSection(bytes)!.end - codeSection(bytes)!.start).toBeGreaterThan(16 * 1024 * 1024);
    expectSameInspection(bytes);
    expect(inspectModule(bytes, { engineValidated: true }).instructionCount).toBe(17 * (run.length / 2 + 3));
  });

  it('hands code it cannot vouch for back to the checking walk, which reports it', () => {
    // 0xff is no opcode; the engine would never accept it, so the checking walk gets to say so.
    const bytes = moduleOf([{ locals: [], code: Uint8Array.of(0xff, END) }]);
    const code = codeSection(bytes)!;
    expect(scanValidCode(bytes, code.start, code.end)).toBeUndefined();
    expect(() => inspectModule(bytes, { engineValidated: true })).toThrow(/unknown opcode 0xff/);
  });
});

describe('the scanner source (assembly/valid-code-scan.ts)', () => {
  const source = readFileSync(new URL('../assembly/valid-code-scan.ts', import.meta.url), 'utf8');
  const constants = (prefix: string) =>
    Object.fromEntries(
      [...source.matchAll(new RegExp(`const ${prefix}([A-Z0-9_]+)(?:: u32)? = (\\d+);`, 'g'))].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
  /** `catchAll` -> `CATCH_ALL`, `u32x2` -> `U32X2`, `multi-value` -> `MULTI_VALUE`. */
  const upper = (name: string) =>
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/-/g, '_')
      .toUpperCase();

  it('switches on the kind numbers of src/opcodes.ts', () => {
    expect(constants('K_')).toEqual(Object.fromEntries(Object.entries(K).map(([name, n]) => [upper(name), n])));
  });

  it('reads the feature bits in the order the host writes them', () => {
    expect(constants('BIT_')).toEqual(Object.fromEntries(SCANNER_FEATURE_SLOTS.map((f, i) => [upper(f), i])));
  });
});
