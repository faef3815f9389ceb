import type { Instruction } from '../instructions.js';
import type { WasmModule } from '../module.js';
import type { FunctionBody, Section } from '../sections.js';
import { InstrumentError } from './memory-cap.js';

/** The exported global that holds the fuel left; negative after the guest ran out. */
export const FUEL_EXPORT = '__portalis_fuel';

const LOOP = 0x03;
const END = 0x0b;
const BLOCK_STARTS = new Set([0x02, 0x03, 0x04, 0x06, 0x1f]);

/**
 * Cost of each metered region: the function's own instructions outside loops are charged on
 * entry, and each loop's instructions (outside nested loops) on every iteration at its header.
 * Charging a whole region up front makes the count independent of which branch runs: the same
 * module and input always consume the same fuel.
 */
function regionCosts(code: Instruction[]): { entry: number; loops: Map<number, number> } {
  const loops = new Map<number, number>();
  // Stack of open regions: -1 for the function body, otherwise the index of the loop instruction.
  const stack: { region: number; isLoop: boolean }[] = [{ region: -1, isLoop: true }];
  let entry = 0;
  const charge = (region: number) => {
    if (region === -1) entry++;
    else loops.set(region, (loops.get(region) ?? 0) + 1);
  };
  const current = (): number => {
    for (let i = stack.length - 1; i >= 0; i--)
      if ((stack[i] as { isLoop: boolean }).isLoop) return (stack[i] as { region: number }).region;
    return -1;
  };
  code.forEach((ins, i) => {
    charge(current());
    if (BLOCK_STARTS.has(ins.op)) stack.push({ region: i, isLoop: ins.op === LOOP });
    else if (ins.op === END || ins.op === 0x18 /* delegate */) stack.pop();
  });
  return { entry, loops };
}

function meter(global: number, cost: number): Instruction[] {
  return [
    { op: 0x23, index: global },
    { op: 0x42, value: BigInt(cost) },
    { op: 0x7d }, // i64.sub
    { op: 0x24, index: global },
    { op: 0x23, index: global },
    { op: 0x42, value: 0n },
    { op: 0x53 }, // i64.lt_s
    { op: 0x04, blockType: -64 },
    { op: 0x00 }, // unreachable
    { op: END },
  ];
}

function sectionOf<K extends Section['id']>(m: WasmModule, id: K): Extract<Section, { id: K }> | undefined {
  return m.sections.find((s): s is Extract<Section, { id: K }> => s.id === id);
}

const ORDER: Section['id'][] = [
  'type',
  'import',
  'function',
  'table',
  'memory',
  'tag',
  'global',
  'export',
  'start',
  'element',
  'dataCount',
  'code',
  'data',
];

function ensureSection<K extends 'global' | 'export'>(
  m: WasmModule,
  id: K,
  empty: Extract<Section, { id: K }>,
): Extract<Section, { id: K }> {
  const found = sectionOf(m, id);
  if (found) return found;
  const rank = ORDER.indexOf(id);
  const at = m.sections.findIndex((s) => s.id !== 'custom' && ORDER.indexOf(s.id) > rank);
  m.sections.splice(at === -1 ? m.sections.length : at, 0, empty);
  return empty;
}

/**
 * Adds deterministic fuel metering: a mutable i64 global starting at `fuel`, exported as
 * `__portalis_fuel`, decremented on function entry and at each loop header by the region's
 * instruction count, trapping (`unreachable`) once it goes negative. After a trap, a negative
 * export tells the host the guest ran out of fuel rather than hit another trap. Returns the
 * global's index.
 */
export function injectFuelMeter(module: WasmModule, fuel: bigint): number {
  const exports = ensureSection(module, 'export', { id: 'export', exports: [] });
  if (exports.exports.some((e) => e.name === FUEL_EXPORT)) {
    throw new InstrumentError('export-name-taken', `the module already exports "${FUEL_EXPORT}"; it cannot be metered`);
  }
  const importedGlobals = (sectionOf(module, 'import')?.imports ?? []).filter((i) => i.desc.kind === 'global').length;
  const globals = ensureSection(module, 'global', { id: 'global', globals: [] });
  const index = importedGlobals + globals.globals.length;
  globals.globals.push({ type: { type: 0x7e, mutable: true }, init: [{ op: 0x42, value: fuel }, { op: END }] });
  delete globals.hints;
  exports.exports.push({ name: FUEL_EXPORT, kind: 'global', index });
  delete exports.hints;
  for (const body of sectionOf(module, 'code')?.bodies ?? []) meterBody(body, index);
  return index;
}

function meterBody(body: FunctionBody, global: number): void {
  const { entry, loops } = regionCosts(body.code);
  const out: Instruction[] = [...meter(global, entry)];
  body.code.forEach((ins, i) => {
    out.push(ins);
    const cost = loops.get(i);
    if (ins.op === LOOP) out.push(...meter(global, cost ?? 1));
  });
  body.code = out;
  delete body.hints;
}
