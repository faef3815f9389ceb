import fc from 'fast-check';
import type { CatchClause, Instruction } from '../src/instructions.js';
import { BLOCK_EMPTY } from '../src/instructions.js';
import type { ImmediateLayout } from '../src/opcodes.js';
import { OPCODES } from '../src/opcodes.js';
import type { RefType, ValType } from '../src/types.js';

// Arbitraries (fast-check) shared by the instruction tests and the scanner tests: instructions with
// immediates shaped exactly as the decoder produces them, nested as the format requires.

const END = 0x0b;

const u32 = fc.nat({ max: 0xffffffff });
const heapType = fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0x69 - 0x80, max: 0x74 - 0x80 }));
const refType: fc.Arbitrary<RefType> = fc.record({ nullable: fc.boolean(), heap: heapType });
const shorthands = [
  0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x69, 0x74, 0x73, 0x72, 0x71,
];
export const valType: fc.Arbitrary<ValType> = fc.oneof(fc.constantFrom(...shorthands), refType);
const blockType = fc.oneof(fc.constant(BLOCK_EMPTY), fc.constantFrom(...shorthands.map((b) => b - 0x80)), u32, refType);
const offset = fc.oneof(
  u32,
  fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
);
const memarg = fc.record({ align: fc.nat({ max: 63 }), offset, memory: u32 }, { requiredKeys: ['align', 'offset'] });
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const catchClause: fc.Arbitrary<CatchClause> = fc.oneof(
  fc.record({ kind: fc.constantFrom('catch' as const, 'catch_ref' as const), tag: u32, label: u32 }),
  fc.record({ kind: fc.constantFrom('catch_all' as const, 'catch_all_ref' as const), label: u32 }),
);

/** Random immediates for each layout, shaped exactly as the decoder produces them. */
const IMMEDIATES: Record<ImmediateLayout, fc.Arbitrary<Omit<Instruction, 'op'>>> = {
  none: fc.constant({}),
  index: fc.record({ index: u32 }),
  index2: fc.record({ index: u32, index2: u32 }),
  block: fc.record({ blockType }),
  tryTable: fc.record({ blockType, catches: fc.array(catchClause, { maxLength: 3 }) }),
  brTable: fc.record({ labels: fc.array(u32, { maxLength: 4 }), index: u32 }),
  memarg: fc.record({ memarg }),
  memargLane: fc.record({ memarg, lane: fc.nat({ max: 255 }) }),
  lane: fc.record({ lane: fc.nat({ max: 255 }) }),
  i32: fc.record({ value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  i64: fc.record({ value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
  f32: fc.record({ bytes: bytesOf(4) }),
  f64: fc.record({ bytes: bytesOf(8) }),
  v128: fc.record({ bytes: bytesOf(16) }),
  shuffle: fc.record({ bytes: bytesOf(16) }),
  selectTypes: fc.record({ types: fc.array(valType, { maxLength: 3 }) }),
  heapType: fc.record({ heapType }),
  brOnCast: fc.record({ index: u32, castFrom: refType, castTo: refType }),
  zeroByte: fc.constant({}),
};

const STRUCTURAL = new Set([
  'block',
  'loop',
  'if',
  'else',
  'try',
  'catch',
  'catch_all',
  'delegate',
  'try_table',
  'end',
]);
const plainOps = [...OPCODES.values()].filter((i) => !STRUCTURAL.has(i.name));
const plain = fc
  .constantFrom(...plainOps)
  .chain((info) => IMMEDIATES[info.immediates].map((imm): Instruction[] => [{ op: info.op, ...imm }]));

export const { sequence } = fc.letrec<{ sequence: Instruction[]; item: Instruction[] }>((tie) => ({
  sequence: fc.array(tie('item'), { maxLength: 6 }).map((items) => items.flat()),
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    plain,
    fc
      .tuple(fc.constantFrom(0x02, 0x03), blockType, tie('sequence'))
      .map(([op, bt, body]) => [{ op, blockType: bt }, ...body, { op: END }]),
    fc
      .tuple(blockType, tie('sequence'), fc.option(tie('sequence')))
      .map(([bt, then, els]) => [
        { op: 0x04, blockType: bt },
        ...then,
        ...(els ? [{ op: 0x05 }, ...els] : []),
        { op: END },
      ]),
    fc.tuple(IMMEDIATES.tryTable, tie('sequence')).map(([imm, body]) => [{ op: 0x1f, ...imm }, ...body, { op: END }]),
    fc
      .tuple(blockType, tie('sequence'), fc.array(fc.tuple(u32, tie('sequence')), { maxLength: 2 }), fc.boolean())
      .map(([bt, body, catches, all]) => [
        { op: 0x06, blockType: bt },
        ...body,
        ...catches.flatMap(([tag, handler]) => [{ op: 0x07, index: tag }, ...handler]),
        ...(all ? [{ op: 0x19 }] : []),
        { op: END },
      ]),
    fc
      .tuple(blockType, tie('sequence'), u32)
      .map(([bt, body, label]) => [{ op: 0x06, blockType: bt }, ...body, { op: 0x18, index: label }]),
  ),
}));
