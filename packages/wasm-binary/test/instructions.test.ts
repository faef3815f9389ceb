import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WasmDecodeError } from '../src/errors.js';
import type { CatchClause, Instruction } from '../src/instructions.js';
import { BLOCK_EMPTY, decodeExpression, encodeExpression, opcodeName, scanExpression } from '../src/instructions.js';
import type { Feature, ImmediateLayout, OpcodeInfo } from '../src/opcodes.js';
import { K, OPCODES } from '../src/opcodes.js';
import { BinaryReader } from '../src/reader.js';
import { BinaryWriter } from '../src/writer.js';
import { sequence } from './arbitraries.js';

const END = 0x0b;

function hex(bytes: Uint8Array | number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function opBytes(op: number): number[] {
  return op < 0x100 ? [op] : [op >>> 16, ...uleb(op & 0xffff)];
}

/** Decodes with hints, re-encodes and checks the bytes match; also checks the scanner agrees on count and end. */
function roundTrip(input: number[] | Uint8Array): Instruction[] {
  const bytes = Uint8Array.from(input);
  const r = new BinaryReader(bytes);
  r.beginHints();
  const code = decodeExpression(r);
  expect(r.pos).toBe(bytes.length);
  const w = new BinaryWriter();
  w.useHints(r.takeHints());
  encodeExpression(w, code);
  expect(hex(w.finish())).toBe(hex(bytes));
  const s = new BinaryReader(bytes);
  expect(scanExpression(s, new Set())).toBe(code.length);
  expect(s.pos).toBe(bytes.length);
  return code;
}

function scanFeatures(input: number[]): Set<Feature> {
  const features = new Set<Feature>();
  scanExpression(new BinaryReader(Uint8Array.from(input)), features);
  return features;
}

/** The decoder and the scanner must fail the same way: a WasmDecodeError at the same offset. */
function decodeError(input: number[], start = 0, end = input.length): WasmDecodeError {
  const bytes = Uint8Array.from(input);
  let decodeErr: unknown;
  let scanErr: unknown;
  try {
    decodeExpression(new BinaryReader(bytes, start, end));
  } catch (e) {
    decodeErr = e;
  }
  try {
    scanExpression(new BinaryReader(bytes, start, end), new Set());
  } catch (e) {
    scanErr = e;
  }
  expect(decodeErr).toBeInstanceOf(WasmDecodeError);
  expect(scanErr).toBeInstanceOf(WasmDecodeError);
  expect((scanErr as WasmDecodeError).offset).toBe((decodeErr as WasmDecodeError).offset);
  return decodeErr as WasmDecodeError;
}

/** Representative immediates per layout, canonical and padded, for the table-wide round trip. */
const SAMPLES: Record<ImmediateLayout, number[][]> = {
  none: [[]],
  index: [[0x05], [0x85, 0x80, 0x80, 0x80, 0x00], [0xff, 0xff, 0xff, 0xff, 0x0f]],
  index2: [
    [0x03, 0x81, 0x01],
    [0x80, 0x00, 0x00],
  ],
  block: [[0x40], [0x7f], [0x7b], [0x6f], [0x05], [0x81, 0x80, 0x00], [0x63, 0x70], [0x64, 0x02]],
  tryTable: [
    [0x40, 0x00],
    [0x7f, 0x04, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x02, 0x00, 0x03, 0x81, 0x00],
  ],
  brTable: [
    [0x00, 0x00],
    [0x02, 0x00, 0x81, 0x00, 0x02],
  ],
  memarg: [
    [0x02, 0x10],
    [0x42, 0x01, 0x10],
    [0x40, 0x00, 0x00],
    [0x83, 0x00, 0x90, 0x80, 0x80, 0x80, 0x00],
    [0x03, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    [0x03, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    [0x03, 0x84, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
  ],
  memargLane: [
    [0x00, 0x00, 0x01],
    [0x41, 0x02, 0x08, 0x0f],
  ],
  lane: [[0x00], [0x0f]],
  i32: [[0x00], [0x7f], [0x90, 0x80, 0x80, 0x80, 0x00], [0x80, 0x80, 0x80, 0x80, 0x78], [0xff, 0x7f]],
  i64: [[0x00], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f], [0x81, 0x80, 0x80, 0x00]],
  f32: [
    [0x01, 0x00, 0xa0, 0x7f],
    [0x00, 0x00, 0xc0, 0xff],
  ],
  f64: [[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x7f]],
  v128: [Array.from({ length: 16 }, (_, i) => i * 17)],
  shuffle: [Array.from({ length: 16 }, (_, i) => 31 - i)],
  selectTypes: [[0x01, 0x7f], [0x02, 0x63, 0x70, 0x64, 0x03], [0x00]],
  heapType: [[0x70], [0x6e], [0x05], [0x81, 0x80, 0x00]],
  brOnCast: [
    [0x03, 0x00, 0x6e, 0x6b],
    [0x00, 0x01, 0x02, 0x03],
    [0x01, 0x80, 0x00, 0x6d, 0x6c],
  ],
  zeroByte: [[0x00]],
};

/** Wraps one instruction into a complete expression, adding what its nesting needs. */
function expressionFor(info: OpcodeInfo, imm: number[]): number[] {
  const op = opBytes(info.op);
  switch (info.name) {
    case 'block':
    case 'loop':
    case 'if':
    case 'try':
    case 'try_table':
      return [...op, ...imm, END, END];
    case 'else':
      return [0x04, 0x40, ...op, END, END];
    case 'catch':
    case 'catch_all':
      return [0x06, 0x40, ...op, ...imm, END, END];
    case 'delegate':
      return [0x06, 0x40, ...op, ...imm, END];
    case 'end':
      return [...op];
    default:
      return [...op, ...imm, END];
  }
}

describe('opcode table', () => {
  it('covers every proposal the brief names, with unique opcodes', () => {
    const features = new Set([...OPCODES.values()].flatMap((i) => i.features));
    for (const f of [
      'mvp',
      'sign-extension',
      'saturating-float-to-int',
      'bulk-memory',
      'reference-types',
      'simd',
      'relaxed-simd',
      'threads',
      'tail-call',
      'exception-handling',
      'legacy-exception-handling',
      'function-references',
      'gc',
    ] as const) {
      expect(features).toContain(f);
    }
    expect(OPCODES.size).toBe(571);
  });

  it('keeps the kind numbers the scanner switches on as literals', () => {
    expect(Object.entries(K).map(([name, n]) => `${n}:${name}`)).toEqual(
      'unknown none u32 u32x2 mem mem2 dataMem indexTable table2 brTable memarg memargLane lane i32 i64 f32 f64 v128 shuffle selectTypes heapType brOnCast zeroByte block if try tryTable else catch catchAll delegate end prefix'
        .split(' ')
        .map((name, n) => `${n}:${name}`),
    );
  });

  it('names opcodes by their WAT mnemonic', () => {
    expect(opcodeName(0x41)).toBe('i32.const');
    expect(opcodeName(0xfd000c)).toBe('v128.const');
    expect(opcodeName(0xfd0113)).toBe('i32x4.relaxed_dot_i8x16_i7x16_add_s');
    expect(opcodeName(0xfe0003)).toBe('atomic.fence');
    expect(opcodeName(0xfe004e)).toBe('i64.atomic.rmw32.cmpxchg_u');
    expect(opcodeName(0xfb0018)).toBe('br_on_cast');
    expect(opcodeName(0xfc0011)).toBe('table.fill');
    expect(opcodeName(0x27)).toBe('unknown 0x27');
  });
});

describe('decodeExpression / encodeExpression', () => {
  it('round-trips every opcode in the table with representative immediates, byte for byte', () => {
    let cases = 0;
    for (const info of OPCODES.values()) {
      for (const imm of SAMPLES[info.immediates]) {
        const code = roundTrip(expressionFor(info, imm));
        expect(code.some((i) => i.op === info.op)).toBe(true);
        const features = scanFeatures(expressionFor(info, imm));
        for (const f of info.features) expect(features, info.name).toContain(f);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(600);
  });

  it('keeps padded sub-opcodes of prefixed instructions', () => {
    const code = roundTrip([0xfc, 0x80, 0x80, 0x00, 0xfd, 0x8c, 0x00, ...new Array(16).fill(0), END]);
    expect(code.map((i) => opcodeName(i.op))).toEqual(['i32.trunc_sat_f32_s', 'v128.const', 'end']);
  });

  it('decodes 5-byte i32.const and call indices like wasm-ld emits', () => {
    const code = roundTrip([0x41, 0x90, 0x80, 0x80, 0x80, 0x00, 0x10, 0x85, 0x80, 0x80, 0x80, 0x00, 0x1a, END]);
    expect(code[0]).toEqual({ op: 0x41, value: 16 });
    expect(code[1]).toEqual({ op: 0x10, index: 5 });
  });

  it('keeps block types as s33 values, negative for the one-byte forms', () => {
    const code = roundTrip([0x02, 0x40, END, 0x02, 0x7f, END, 0x03, 0x81, 0x80, 0x00, END, 0x04, 0x64, 0x6e, END, END]);
    expect(code.map((i) => i.blockType).filter((t) => t !== undefined)).toEqual([
      BLOCK_EMPTY,
      -1,
      1,
      { nullable: false, heap: 0x6e - 0x80 },
    ]);
  });

  it('keeps NaN payloads and signs of float constants bit for bit', () => {
    const code = roundTrip([0x43, 0x01, 0x00, 0xa0, 0x7f, 0x44, 1, 2, 3, 4, 5, 6, 0xf8, 0xff, END]);
    expect(hex(code[0]?.bytes ?? [])).toBe('01 00 a0 7f');
    expect(hex(code[1]?.bytes ?? [])).toBe('01 02 03 04 05 06 f8 ff');
  });

  it('decodes i64.const as bigint and memory64 offsets past 2^53 as bigint', () => {
    const code = roundTrip([
      0x42,
      ...[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
      0x29,
      0x03,
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      0x28,
      0x02,
      ...[0x80, 0x80, 0x80, 0x80, 0x10],
      END,
    ]);
    expect(code[0]?.value).toBe(-(2n ** 63n));
    expect(code[1]?.memarg).toEqual({ align: 3, offset: 2n ** 64n - 1n });
    expect(code[2]?.memarg).toEqual({ align: 2, offset: 2 ** 32 });
  });

  it('reads the multi-memory index of a memarg, even an explicit memory 0', () => {
    const code = roundTrip([0x28, 0x42, 0x03, 0x08, 0x36, 0x40, 0x00, 0x00, 0x3f, 0x02, 0xfc, 0x0a, 0x01, 0x02, END]);
    expect(code[0]?.memarg).toEqual({ align: 2, memory: 3, offset: 8 });
    expect(code[1]?.memarg).toEqual({ align: 0, memory: 0, offset: 0 });
    expect(code[2]).toEqual({ op: 0x3f, index: 2 });
    expect(code[3]).toEqual({ op: 0xfc000a, index: 1, index2: 2 });
    expect(scanFeatures([0x28, 0x42, 0x03, 0x08, END])).toContain('multi-memory');
    expect(scanFeatures([0x3f, 0x00, END])).not.toContain('multi-memory');
  });

  it('decodes GC casts and try_table handlers into named fields', () => {
    const code = roundTrip([
      0xfb,
      0x18,
      0x01,
      0x00,
      0x6e,
      0x6b,
      0x1f,
      0x40,
      0x02,
      0x00,
      0x03,
      0x00,
      0x03,
      0x01,
      END,
      END,
    ]);
    expect(code[0]).toEqual({
      op: 0xfb0018,
      index: 0,
      castFrom: { nullable: true, heap: 0x6e - 0x80 },
      castTo: { nullable: false, heap: 0x6b - 0x80 },
    });
    expect(code[1]?.catches).toEqual([
      { kind: 'catch', tag: 3, label: 0 },
      { kind: 'catch_all_ref', label: 1 },
    ] satisfies CatchClause[]);
  });

  it('stops at the end that closes the expression, through else, catch and delegate', () => {
    const body = [
      ...[0x04, 0x40, 0x01, 0x05, 0x01, END], // if else end
      ...[0x06, 0x40, 0x07, 0x00, 0x19, END], // try catch catch_all end
      ...[0x06, 0x7f, 0x41, 0x00, 0x18, 0x00], // try ... delegate 0: closes the try without an end
      ...[0x1f, 0x40, 0x00, 0x02, 0x40, END, END], // try_table { block {} }
      END,
    ];
    const bytes = Uint8Array.from([...body, 0xaa, 0xbb]);
    const r = new BinaryReader(bytes);
    const code = decodeExpression(r);
    expect(r.pos).toBe(body.length);
    expect(code.at(-1)?.op).toBe(END);
    const s = new BinaryReader(bytes);
    expect(scanExpression(s, new Set())).toBe(code.length);
    expect(s.pos).toBe(body.length);
  });

  it('rejects control instructions outside the block they belong to', () => {
    expect(decodeError([0x05, END]).offset).toBe(0);
    expect(decodeError([0x02, 0x40, 0x05, END, END]).offset).toBe(2);
    expect(decodeError([0x04, 0x40, 0x05, 0x05, END, END]).offset).toBe(3);
    expect(decodeError([0x07, 0x00, END]).offset).toBe(0);
    expect(decodeError([0x06, 0x40, 0x19, 0x07, 0x00, END, END]).offset).toBe(3);
    expect(decodeError([0x18, 0x00, END]).offset).toBe(0);
    expect(decodeError([0x06, 0x40, 0x07, 0x00, 0x18, 0x00, END]).offset).toBe(4);
  });

  it('reports unknown opcodes with their offset', () => {
    const e = decodeError([0x01, 0x27, END]);
    expect(e.offset).toBe(1);
    expect(e.message).toContain('unknown opcode 0x27');
    expect(decodeError([0x01, 0xfd, 0x9a, 0x01, END]).message).toContain('unknown opcode 0xfd 0x9a');
    expect(decodeError([0xfb, 0x20, 0x00, END]).offset).toBe(0);
    expect(decodeError([0xfe, 0x4f, END]).offset).toBe(0);
    expect(decodeError([0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f, END]).offset).toBe(0);
    expect(decodeError([0xe0, END]).offset).toBe(0);
  });

  it('reports truncated input at the offset where it stops', () => {
    expect(decodeError([]).offset).toBe(0);
    expect(decodeError([0x01, 0x01]).offset).toBe(2);
    expect(decodeError([0x41]).offset).toBe(1);
    expect(decodeError([0x41, 0x80, 0x80]).offset).toBe(1);
    expect(decodeError([0x02, 0x40, END]).offset).toBe(3);
    expect(decodeError([0x43, 0x00, 0x00]).offset).toBe(1);
    expect(decodeError([0x0e, 0x05, 0x00]).offset).toBe(1);
    expect(decodeError([0xfd, 0x54, 0x00, 0x00]).offset).toBe(4);
    expect(decodeError([0x1f, 0x40, 0x01]).offset).toBe(2);
    // A reader over part of a buffer never looks past its end.
    expect(decodeError([0x01, 0x41, 0x00, END], 0, 2).offset).toBe(2);
    expect(decodeError([0x1f, 0x40, 0x01, 0x00, 0x00, 0x00, END, END], 0, 5).offset).toBe(5);
  });

  it('rejects malformed immediates', () => {
    expect(decodeError([0x41, 0x80, 0x80, 0x80, 0x80, 0x70, END]).offset).toBe(1);
    expect(decodeError([0x10, 0x80, 0x80, 0x80, 0x80, 0x10, END]).offset).toBe(1);
    expect(decodeError([0x02, 0x50, END, END]).offset).toBe(1);
    expect(decodeError([0x02, 0xff, 0x7f, END, END]).offset).toBe(1);
    expect(decodeError([0xd0, 0x60, END]).offset).toBe(1);
    expect(decodeError([0xfb, 0x18, 0x04, 0x00, 0x6e, 0x6b, END]).offset).toBe(2);
    expect(decodeError([0xfe, 0x03, 0x01, END]).offset).toBe(2);
    expect(decodeError([0x1f, 0x40, 0x01, 0x04, 0x00, END, END]).offset).toBe(3);
    expect(decodeError([0x1c, 0x01, 0x50, END]).offset).toBe(2);
  });

  it('refuses to encode an opcode it does not know or an instruction missing its immediates', () => {
    expect(() => encodeExpression(new BinaryWriter(), [{ op: 0x27 }])).toThrow(RangeError);
    expect(() => encodeExpression(new BinaryWriter(), [{ op: 0x10 }])).toThrow(/call needs `index`/);
  });
});

describe('scanExpression', () => {
  it('reports the features of the instructions it sees', () => {
    expect(scanFeatures([0xfd, 0x0c, ...new Array(16).fill(0), 0x1a, END])).toEqual(new Set(['simd', 'mvp']));
    expect(scanFeatures([0x12, 0x00, END])).toEqual(new Set(['tail-call', 'mvp']));
    expect(scanFeatures([0x15, 0x00, END])).toEqual(new Set(['tail-call', 'function-references', 'mvp']));
    expect(scanFeatures([0xfd, 0x80, 0x02, END])).toContain('relaxed-simd');
    expect(scanFeatures([0xfe, 0x03, 0x00, END])).toContain('threads');
    expect(scanFeatures([0xc0, END])).toContain('sign-extension');
    expect(scanFeatures([0xfc, 0x00, END])).toContain('saturating-float-to-int');
    expect(scanFeatures([0xfc, 0x0b, 0x00, END])).toContain('bulk-memory');
    expect(scanFeatures([0x06, 0x40, 0x19, END, END])).toContain('legacy-exception-handling');
    expect(scanFeatures([0x0a, END])).toContain('exception-handling');
    expect(scanFeatures([0xfb, 0x1c, END])).toContain('gc');
    expect(scanFeatures([0xd0, 0x6e, END])).toContain('gc');
    expect(scanFeatures([0xd0, 0x05, END])).toContain('function-references');
    expect(scanFeatures([0x02, 0x05, END, END])).toContain('multi-value');
    expect(scanFeatures([0x02, 0x7b, END, END])).toContain('simd');
    expect(scanFeatures([0x11, 0x00, 0x01, END])).toContain('reference-types');
    expect(scanFeatures([0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, END])).toContain('memory64');
  });

  it('adds to the features already in the set', () => {
    const features = new Set<Feature>(['gc']);
    scanExpression(new BinaryReader(Uint8Array.from([0x01, END])), features);
    expect(features).toEqual(new Set(['gc', 'mvp']));
  });
});

describe('properties', () => {
  it('random bytes only ever produce a WasmDecodeError, and scan agrees with decode', () => {
    const interesting = fc.constantFrom(0x02, 0x04, 0x05, 0x06, 0x0b, 0x0e, 0x1c, 0x1f, 0x28, 0xfb, 0xfc, 0xfd, 0xfe);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.oneof(interesting, fc.nat({ max: 255 })), { maxLength: 64 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        let decoded: Instruction[] | WasmDecodeError;
        let scanned: number | WasmDecodeError;
        const r = new BinaryReader(bytes);
        const s = new BinaryReader(bytes);
        try {
          decoded = decodeExpression(r);
        } catch (e) {
          if (!(e instanceof WasmDecodeError)) throw e;
          decoded = e;
        }
        try {
          scanned = scanExpression(s, new Set());
        } catch (e) {
          if (!(e instanceof WasmDecodeError)) throw e;
          scanned = e;
        }
        if (decoded instanceof WasmDecodeError) {
          expect(scanned).toBeInstanceOf(WasmDecodeError);
          expect((scanned as WasmDecodeError).offset).toBe(decoded.offset);
        } else {
          expect(scanned).toBe(decoded.length);
          expect(s.pos).toBe(r.pos);
          const w = new BinaryWriter();
          encodeExpression(w, decoded);
          expect(w.length).toBeLessThanOrEqual(r.pos);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('random valid instruction sequences from the table round-trip', () => {
    fc.assert(
      fc.property(sequence, (body) => {
        const code = [...body, { op: END }];
        const w = new BinaryWriter();
        encodeExpression(w, code);
        const bytes = w.finish();
        const r = new BinaryReader(bytes);
        expect(decodeExpression(r)).toEqual(code);
        expect(r.pos).toBe(bytes.length);
        expect(scanExpression(new BinaryReader(bytes), new Set())).toBe(code.length);
      }),
      { numRuns: 1000 },
    );
  });
});

/** The function bodies of a module's code section, as [start, end] offsets past the locals. */
function functionBodies(bytes: Uint8Array): { start: number; end: number }[] {
  const r = new BinaryReader(bytes, 8);
  const bodies: { start: number; end: number }[] = [];
  while (!r.atEnd()) {
    const id = r.u8();
    const size = r.u32();
    const sectionEnd = r.pos + size;
    if (id === 10) {
      for (let n = r.u32(); n > 0; n--) {
        const bodySize = r.u32();
        const end = r.pos + bodySize;
        for (let groups = r.u32(); groups > 0; groups--) {
          r.u32();
          r.u8();
        }
        bodies.push({ start: r.pos, end });
        r.pos = end;
      }
    }
    r.pos = sectionEnd;
  }
  return bodies;
}

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const m = wabt.parseWat('test.wat', source, {
    simd: true,
    threads: true,
    tail_call: true,
    exceptions: true,
    bulk_memory: true,
    reference_types: true,
    sat_float_to_int: true,
    sign_extension: true,
    multi_value: true,
    relaxed_simd: true,
  });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

describe('bodies built by wabt', () => {
  it('round-trip and report their features', async () => {
    const bytes = await wat(`(module
      (type $t (func (param i32) (result i32)))
      (memory 1 1 shared)
      (table 2 funcref)
      (tag $e (param i32))
      (func $simd (param v128 v128) (result v128)
        (drop (i32x4.add (local.get 0) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (local.get 0) (local.get 1))))
        (drop (v128.load32_lane offset=4 2 (i32.const 0) (local.get 1)))
        (f32x4.relaxed_madd (v128.const f32x4 nan:0x1 -0 inf 1.5) (v128.const i32x4 0 0 0 0) (local.get 0)))
      (func $atomics (param i32) (result i32)
        (atomic.fence)
        (i64.atomic.rmw32.cmpxchg_u offset=8 (local.get 0) (i64.const -1) (i64.const 2)) drop
        (memory.atomic.notify (local.get 0) (i32.const 1)))
      (func $tail (type $t) (return_call $tail (local.get 0)))
      (func $indirect (type $t) (return_call_indirect (type $t) (local.get 0) (i32.const 1)))
      (func $control (param i32) (result i32)
        (block $a (block $b (loop $l (br_table $l $b $a (local.get 0)))))
        (i32.const 7)
        (if (result i32) (local.get 0) (then (i32.const 1)) (else (f64.const nan:0x4) drop (i32.const 2)))
        (try (result i32) (do (throw $e (i32.const 3))) (catch $e) (catch_all (i32.const 4)))
        i32.add i32.add)
      (func $bulk (param i32)
        (memory.copy (local.get 0) (i32.const 0) (i32.const 4))
        (memory.fill (local.get 0) (i32.const 0) (i32.const 4))
        (table.copy (i32.const 0) (i32.const 1) (i32.const 1))
        (drop (table.grow (ref.null func) (i32.const 1)))
        (drop (i32.trunc_sat_f32_u (f32.const -1)))
        (drop (i64.extend32_s (i64.const 5))))
    )`);
    const bodies = functionBodies(bytes);
    expect(bodies).toHaveLength(6);
    const expected: Feature[][] = [
      ['simd', 'relaxed-simd'],
      ['threads'],
      ['tail-call'],
      ['tail-call'],
      ['legacy-exception-handling'],
      ['bulk-memory', 'reference-types', 'saturating-float-to-int', 'sign-extension'],
    ];
    bodies.forEach(({ start, end }, i) => {
      const body = bytes.subarray(start, end);
      roundTrip(body);
      const features = new Set<Feature>();
      const r = new BinaryReader(bytes, start, end);
      scanExpression(r, features);
      expect(r.pos).toBe(end);
      for (const f of expected[i] ?? []) expect(features).toContain(f);
    });
  });
});

// A multi-megabyte module built by rustc and wasm-ld, shipped in a dev dependency: real-world padded LEBs.
const rustModule = new URL(
  '../../../node_modules/@bytecodealliance/componentize-js/lib/spidermonkey-embedding-splicer.core.wasm',
  import.meta.url,
);

describe('a real compiler-built module', () => {
  it.skipIf(!existsSync(rustModule))('round-trips every function body and scans the same instructions', () => {
    const bytes = new Uint8Array(readFileSync(rustModule));
    const bodies = functionBodies(bytes);
    expect(bodies.length).toBeGreaterThan(1000);
    let mismatched = 0;
    for (const { start, end } of bodies) {
      const r = new BinaryReader(bytes, start, end);
      r.beginHints();
      const code = decodeExpression(r);
      const w = new BinaryWriter();
      w.useHints(r.takeHints());
      encodeExpression(w, code);
      const s = new BinaryReader(bytes, start, end);
      const scanned = scanExpression(s, new Set());
      if (
        r.pos !== end ||
        s.pos !== end ||
        scanned !== code.length ||
        hex(w.finish()) !== hex(bytes.subarray(start, end))
      ) {
        mismatched++;
      }
    }
    expect(mismatched).toBe(0);
  });
});
