import type { WasmModule } from '../module.js';
import { sectionOf } from './fuel.js';

/**
 * The custom section `importDefinedMemory` adds, naming the import it made and the memory's
 * limits, so a host can find both in a compiled module (`WebAssembly.Module.customSections`).
 */
export const POOLED_MEMORY_SECTION = 'portalis.pooled-memory';

/** What `POOLED_MEMORY_SECTION` holds, as UTF-8 JSON. */
export interface PooledMemory {
  module: string;
  name: string;
  /** Pages at instantiation. */
  initial: number;
  /** Most pages the memory may grow to (the module's maximum, after any cap). */
  maximum: number;
}

/**
 * Turns the module's own memory into an import, so the host can hand each instance a memory it
 * keeps and reuses (zeroed in between) instead of having the engine allocate, guard and later
 * free one per instance. Instantiation still writes the data segments into the memory, and the
 * index of the memory does not change (it was the only one), so no code is touched; exports of the
 * memory keep working. Applies only to a module with exactly one memory, defined in it, with a
 * maximum (run `capMemory` first), 32-bit, not shared, and starting at no more than
 * `options.maxInitialPages` pages when given; returns undefined for any other module
 * and leaves it as it was. The import is `import.module`/`import.name`; the limits and the import's
 * names are also recorded in the `POOLED_MEMORY_SECTION` custom section, which replaces any
 * section of that name the input carried.
 */
export function importDefinedMemory(
  module: WasmModule,
  names: { module: string; name: string },
  options: { maxInitialPages?: number } = {},
): PooledMemory | undefined {
  const memories = sectionOf(module, 'memory');
  const imports = sectionOf(module, 'import');
  if (memories?.memories.length !== 1) return undefined;
  if (imports?.imports.some((i) => i.desc.kind === 'memory')) return undefined;
  const limits = memories.memories[0];
  // bit 0 has-max, bit 1 shared, bit 2 64-bit, bit 3 custom page size
  if (!limits || limits.max === undefined || (limits.flags & 0x0e) !== 0) return undefined;
  if (limits.min > (options.maxInitialPages ?? Number.POSITIVE_INFINITY)) return undefined;
  const entry = { module: names.module, name: names.name, desc: { kind: 'memory' as const, limits } };
  if (imports) {
    imports.imports.push(entry);
    delete imports.hints;
  } else {
    // The import section follows the type section (or opens the module when there is none).
    const typeAt = module.sections.findIndex((s) => s.id === 'type');
    module.sections.splice(typeAt + 1, 0, { id: 'import', imports: [entry] });
  }
  module.sections.splice(module.sections.indexOf(memories), 1);
  // A section of this name that came with the input is not ours: only the record below may remain.
  module.sections = module.sections.filter((s) => !(s.id === 'custom' && s.name === POOLED_MEMORY_SECTION));
  const pooled: PooledMemory = { ...names, initial: limits.min, maximum: limits.max };
  module.sections.push({
    id: 'custom',
    name: POOLED_MEMORY_SECTION,
    data: new TextEncoder().encode(JSON.stringify(pooled)),
  });
  return pooled;
}
