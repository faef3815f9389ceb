import type { Instruction } from '../instructions.js';
import type { WasmModule } from '../module.js';
import type { FunctionBody, Global, Section } from '../sections.js';
import type { ValType } from '../types.js';
import { InstrumentError } from './memory-cap.js';

/** The exported global that holds the fuel left; negative after the guest ran out. */
export const FUEL_EXPORT = '__portalis_fuel';

const I64 = 0x7e;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BLOCK_STARTS = new Set([0x02, 0x03, 0x04, 0x06, 0x1f]);
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const GLOBAL_GET = 0x23;
const GLOBAL_SET = 0x24;

/** call, call_indirect, call_ref: the callee spends fuel from the global, so the cache is reloaded after. */
const CALLS = new Set([0x10, 0x11, 0x14]);
/** return, return_call*, throw, rethrow, throw_ref: control leaves the function for good. */
const LEAVES = new Set([0x0f, 0x12, 0x13, 0x15, 0x08, 0x09, 0x0a]);
/** br, br_if, br_on_null, br_on_non_null, br_on_cast, br_on_cast_fail: one label in `index`. */
const BRANCHES = new Set([0x0c, 0x0d, 0xd5, 0xd6, 0xfb0018, 0xfb0019]);
const BR_TABLE = 0x0e;
/** Legacy `try` and `try_table`: a function with a handler keeps its fuel in the global (see meterBody). */
const HANDLERS = new Set([0x06, 0x1f]);

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

export function sectionOf<K extends Section['id']>(m: WasmModule, id: K): Extract<Section, { id: K }> | undefined {
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
 * Adds `global` to the module and exports it as `name`; returns its index. Refuses a module that
 * already exports `name`, since the host would read the wrong value.
 */
export function addExportedGlobal(module: WasmModule, name: string, global: Global, purpose: string): number {
  const exports = ensureSection(module, 'export', { id: 'export', exports: [] });
  if (exports.exports.some((e) => e.name === name)) {
    throw new InstrumentError('export-name-taken', `the module already exports "${name}"; it cannot be ${purpose}`);
  }
  const importedGlobals = (sectionOf(module, 'import')?.imports ?? []).filter((i) => i.desc.kind === 'global').length;
  const globals = ensureSection(module, 'global', { id: 'global', globals: [] });
  const index = importedGlobals + globals.globals.length;
  globals.globals.push(global);
  delete globals.hints;
  exports.exports.push({ name, kind: 'global', index });
  delete exports.hints;
  return index;
}

/**
 * The code section's bodies, each with a function that appends one local of a given type to it and
 * returns the new local's index (parameters come first, so the function's type is needed).
 */
export function bodiesWithLocals(module: WasmModule): { body: FunctionBody; addLocal(type: ValType): number }[] {
  const types = (sectionOf(module, 'type')?.groups ?? []).flatMap((g) => g.types);
  const typeIndices = sectionOf(module, 'function')?.typeIndices ?? [];
  return (sectionOf(module, 'code')?.bodies ?? []).map((body, i) => ({
    body,
    addLocal(type: ValType): number {
      const sub = types[typeIndices[i] ?? -1];
      if (sub?.type.kind !== 'func') throw new RangeError(`function body ${i} has no function type`);
      const index = sub.type.params.length + body.locals.reduce((n, l) => n + l.count, 0);
      body.locals.push({ count: 1, type });
      delete body.hints;
      return index;
    },
  }));
}

/**
 * Adds deterministic fuel metering: a mutable i64 global starting at `fuel`, exported as
 * `__portalis_fuel`, decremented on function entry and at each loop header by the region's
 * instruction count, trapping (`unreachable`) once it goes negative. After a trap, a negative
 * export tells the host the guest ran out of fuel rather than hit another trap; after a normal
 * return it holds exactly the fuel left, and the host may set it before a call to choose a budget.
 * Returns the global's index.
 */
export function injectFuelMeter(module: WasmModule, fuel: bigint): number {
  const global = addExportedGlobal(
    module,
    FUEL_EXPORT,
    { type: { type: I64, mutable: true }, init: [{ op: 0x42, value: fuel }, { op: END }] },
    'metered',
  );
  for (const { body, addLocal } of bodiesWithLocals(module)) {
    body.code = body.code.some((ins) => HANDLERS.has(ins.op))
      ? meterThroughGlobal(body.code, global)
      : meterThroughLocal(body.code, global, addLocal(I64));
    delete body.hints;
  }
  return global;
}

/**
 * Subtracts `cost` from the fuel in `local`, trapping with the global set negative when it does not
 * cover `cost`. Comparing before subtracting lets the engine run the check and the subtraction
 * independently; on V8 this measured faster in tight loops than testing the difference.
 */
function chargeLocal(global: number, local: number, cost: number): Instruction[] {
  const value = BigInt(cost);
  return [
    { op: LOCAL_GET, index: local },
    { op: 0x42, value },
    { op: 0x53 }, // i64.lt_s
    { op: IF, blockType: -64 },
    { op: LOCAL_GET, index: local },
    { op: 0x42, value },
    { op: 0x7d }, // i64.sub
    { op: GLOBAL_SET, index: global },
    { op: 0x00 }, // unreachable
    { op: END },
    { op: LOCAL_GET, index: local },
    { op: 0x42, value },
    { op: 0x7d }, // i64.sub
    { op: LOCAL_SET, index: local },
  ];
}

/**
 * Meters a body with its fuel cached in `local`: the engine keeps a local in a register, where a
 * global costs a load and a store per charge. The global is loaded on entry, written back
 * wherever control can leave the function or reach other code (calls, returns, branches to the
 * body's label, throws, the final `end`), and reloaded after each call, whose callee spent from it.
 */
function meterThroughLocal(code: Instruction[], global: number, local: number): Instruction[] {
  const { entry, loops } = regionCosts(code);
  const flush: Instruction[] = [
    { op: LOCAL_GET, index: local },
    { op: GLOBAL_SET, index: global },
  ];
  const reload: Instruction[] = [
    { op: GLOBAL_GET, index: global },
    { op: LOCAL_SET, index: local },
  ];
  const out: Instruction[] = [...reload, ...chargeLocal(global, local, entry)];
  // Open blocks inside the body: a label equal to `depth` names the body itself, so it returns.
  let depth = 0;
  code.forEach((ins, i) => {
    const op = ins.op;
    const leavesBody =
      LEAVES.has(op) ||
      (op === END && depth === 0) ||
      (BRANCHES.has(op) && ins.index === depth) ||
      (op === BR_TABLE && (ins.index === depth || (ins.labels ?? []).includes(depth)));
    if (leavesBody || CALLS.has(op)) out.push(...flush);
    out.push(ins);
    if (CALLS.has(op)) out.push(...reload);
    if (BLOCK_STARTS.has(op)) depth++;
    else if (op === END) depth--;
    if (op === LOOP) out.push(...chargeLocal(global, local, loops.get(i) ?? 1));
  });
  return out;
}

/** Subtracts `cost` from the global and traps once it goes negative. */
function chargeGlobal(global: number, cost: number): Instruction[] {
  return [
    { op: GLOBAL_GET, index: global },
    { op: 0x42, value: BigInt(cost) },
    { op: 0x7d }, // i64.sub
    { op: GLOBAL_SET, index: global },
    { op: GLOBAL_GET, index: global },
    { op: 0x42, value: 0n },
    { op: 0x53 }, // i64.lt_s
    { op: IF, blockType: -64 },
    { op: 0x00 }, // unreachable
    { op: END },
  ];
}

/**
 * Meters a body that has exception handlers straight through the global: a handler is reached
 * from a throw deep in a callee, past every write-back, so a cached copy could not be trusted there.
 */
function meterThroughGlobal(code: Instruction[], global: number): Instruction[] {
  const { entry, loops } = regionCosts(code);
  const out: Instruction[] = [...chargeGlobal(global, entry)];
  code.forEach((ins, i) => {
    out.push(ins);
    if (ins.op === LOOP) out.push(...chargeGlobal(global, loops.get(i) ?? 1));
  });
  return out;
}
