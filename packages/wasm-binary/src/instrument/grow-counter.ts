import type { Instruction } from '../instructions.js';
import type { WasmModule } from '../module.js';
import { addExportedGlobal, bodiesWithLocals, sectionOf } from './fuel.js';
import { InstrumentError } from './memory-cap.js';

/** The exported global that counts `memory.grow` calls the host refused (that returned -1). */
export const GROW_FAILURES_EXPORT = '__portalis_grow_failures';

const I32 = 0x7f;
const MEMORY_GROW = 0x40;

/**
 * Counts refused memory growth: adds a mutable i32 global, exported as `__portalis_grow_failures`,
 * that goes up by one each time a `memory.grow` (on any memory) returns -1, so the host can report
 * how often the guest hit its memory cap (see `capMemory`). The guest still sees every result
 * unchanged. Refuses 64-bit memories, whose `memory.grow` returns an i64. Returns the global's index.
 */
export function countGrowFailures(module: WasmModule): number {
  const imported = (sectionOf(module, 'import')?.imports ?? []).flatMap((i) =>
    i.desc.kind === 'memory' ? [i.desc.limits] : [],
  );
  [...imported, ...(sectionOf(module, 'memory')?.memories ?? [])].forEach((limits, index) => {
    if (limits.flags & 0x04) {
      throw new InstrumentError(
        'memory64',
        `memory ${index} is 64-bit (memory64), which this engine cannot count growth of or run`,
      );
    }
  });
  const global = addExportedGlobal(
    module,
    GROW_FAILURES_EXPORT,
    { type: { type: I32, mutable: true }, init: [{ op: 0x41, value: 0 }, { op: 0x0b }] },
    'instrumented to count refused memory growth',
  );
  for (const { body, addLocal } of bodiesWithLocals(module)) {
    if (!body.code.some((ins) => ins.op === MEMORY_GROW)) continue;
    const result = addLocal(I32);
    body.code = body.code.flatMap((ins) => (ins.op === MEMORY_GROW ? [ins, ...countIfRefused(global, result)] : [ins]));
    delete body.hints;
  }
  return global;
}

/** Adds 1 to `global` when the result on the stack is -1 (the comparison is 0 or 1), leaving the result. */
function countIfRefused(global: number, local: number): Instruction[] {
  return [
    { op: 0x22, index: local }, // local.tee
    { op: 0x41, value: -1 },
    { op: 0x46 }, // i32.eq
    { op: 0x23, index: global },
    { op: 0x6a }, // i32.add
    { op: 0x24, index: global },
    { op: 0x20, index: local },
  ];
}
