import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allFixtures, fixtureBytes, watToWasm } from '../../../tools/fixtures.ts';
import {
  decodeModule,
  encodeModule,
  inspectComponent,
  inspectModule,
  readPreamble,
  WasmDecodeError,
} from '../src/index.js';

const coreFixtures = () => allFixtures().filter((f) => readPreamble(fixtureBytes(f)).kind === 'core');

describe('decodeModule / encodeModule', () => {
  it('round-trips every core fixture byte for byte', () => {
    const names = coreFixtures();
    expect(names.length).toBeGreaterThan(2);
    for (const name of names) {
      const bytes = fixtureBytes(name);
      const again = encodeModule(decodeModule(bytes));
      expect(Buffer.from(again).equals(Buffer.from(bytes)), name).toBe(true);
    }
  });

  it('keeps padded section and body sizes as the original wrote them', () => {
    // A type section whose size is a 5-byte LEB, then a function, a code section with a padded body size.
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x84, 0x80, 0x80, 0x80, 0x00, 0x01, 0x60, 0x00, 0x00, 0x03,
      0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x82, 0x80, 0x80, 0x80, 0x00, 0x00, 0x0b,
    ]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const m = decodeModule(bytes);
    expect(m.sections[0]?.sizeWidth).toBe(5);
    expect(Array.from(encodeModule(m))).toEqual(Array.from(bytes));
  });

  it('drops the padding of a unit that grew past it, never truncating a value', () => {
    const bytes = new Uint8Array([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      0x01,
      0x81,
      0x00,
      0x00, // type section: size 1 padded to 2 bytes, zero types
    ]);
    const m = decodeModule(bytes);
    const types = m.sections[0];
    if (types?.id !== 'type') throw new Error('expected a type section');
    types.groups.push({
      explicit: false,
      types: [{ prefix: undefined, supertypes: [], type: { kind: 'func', params: [], results: [] } }],
    });
    const out = encodeModule(m);
    expect(WebAssembly.validate(out as BufferSource)).toBe(true);
    expect(decodeModule(out).sections[0]).toMatchObject({
      id: 'type',
      groups: [{ types: [{ type: { kind: 'func' } }] }],
    });
  });

  it('names the offset and what was expected when a binary is cut short', async () => {
    const bytes = await watToWasm('(module (func (export "f") (result i32) (i32.const 42)))');
    for (let cut = 9; cut < bytes.length; cut++) {
      const head = bytes.subarray(0, cut);
      let error: unknown;
      try {
        decodeModule(head);
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        // A cut at a section boundary leaves a shorter module that is still well-formed.
        expect(WebAssembly.validate(head as BufferSource), `cut at ${cut}`).toBe(true);
        continue;
      }
      expect(error, `cut at ${cut}`).toBeInstanceOf(WasmDecodeError);
      expect((error as WasmDecodeError).offset).toBeLessThanOrEqual(cut);
    }
  });

  it('rejects sections out of order and duplicated, with the section offset', () => {
    const outOfOrder = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00]);
    expect(() => decodeModule(outOfOrder)).toThrow(/out of order/);
    const dup = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00]);
    try {
      decodeModule(dup);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WasmDecodeError);
      expect((e as WasmDecodeError).offset).toBe(11);
    }
  });

  it('never throws anything but WasmDecodeError on mutated fixtures, and never hangs', () => {
    const seeds = coreFixtures().map(fixtureBytes);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const bytes = Uint8Array.from(seeds[which] as Uint8Array);
          for (const [at, value] of edits) bytes[8 + (at % Math.max(1, bytes.length - 8))] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, 8 + (cut % (bytes.length - 7)));
          for (const run of [() => decodeModule(input), () => inspectModule(input)]) {
            try {
              const m = run();
              // Anything that decodes must re-encode to the same bytes.
              if ('sections' in m && !('features' in m))
                expect(Buffer.from(encodeModule(m)).equals(Buffer.from(input))).toBe(true);
            } catch (e) {
              if (!(e instanceof WasmDecodeError)) throw e;
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never throws anything but WasmDecodeError on random bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (tail) => {
        const input = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...tail]);
        try {
          decodeModule(input);
        } catch (e) {
          if (!(e instanceof WasmDecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a vector count that cannot fit instead of allocating it', () => {
    // A type section claiming 2^32-1 types in 5 bytes.
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeModule(bytes)).toThrow(/cannot fit/);
  });
});

describe('inspectModule', () => {
  it('lists imports, exports, memories and features of a WAT module', async () => {
    const bytes = await watToWasm(`;; features: simd
      (module
        (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (memory 1 2)
        (func (export "f") (result i32 i32) (i32.const 1) (i32.const 2))
        (func (export "g") (drop (v128.const i32x4 0 0 0 0))))`);
    const m = inspectModule(bytes);
    expect(m.imports.map((i) => `${i.module}.${i.name}`)).toEqual(['wasi_snapshot_preview1.fd_write']);
    expect(m.exports.map((e) => e.name)).toEqual(['f', 'g']);
    expect(m.memories).toEqual([{ flags: 1, min: 1, max: 2, pageSizeLog2: undefined }]);
    expect(m.features.has('simd')).toBe(true);
    expect(m.features.has('multi-value')).toBe(true);
    expect(m.functions.length).toBe(2);
    expect(m.instructionCount).toBeGreaterThan(4);
  });

  it('reads the name section of a module built with debug names', async () => {
    const m = inspectModule(await watToWasm('(module $calc (func $add))'));
    expect(m.moduleName).toBe('calc');
    expect(m.functionNames.get(0)).toBe('add');
  });

  it('finds the function/code count mismatch', () => {
    // One function declared, no code section.
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
    ]);
    expect(() => inspectModule(bytes)).toThrow(/function bodies/);
  });
});

describe('inspectComponent', () => {
  it('lists the exports and nested core module of a jco-built component', () => {
    const c = inspectComponent(fixtureBytes('greeter.component.wasm'));
    expect(c.exports.map((e) => e.name)).toContain('add');
    expect(c.coreModules.length).toBeGreaterThanOrEqual(1);
    const nested = c.coreModules[0];
    expect(nested && WebAssembly.validate(nested.bytes as BufferSource)).toBe(true);
  });

  it('reports a truncated component with an offset', () => {
    const bytes = fixtureBytes('greeter.component.wasm');
    expect(() => inspectComponent(bytes.subarray(0, bytes.length - 3))).toThrow(WasmDecodeError);
  });
});
