import type { WasmModule } from '../module.js';

/** Why an instrumentation pass refused a module. */
export class InstrumentError extends Error {
  override readonly name = 'InstrumentError';
  constructor(
    readonly code: 'memory-minimum-over-cap' | 'export-name-taken' | 'memory64',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Caps every memory (defined and imported) at `maxPages`: the maximum becomes the smaller of its
 * own and the cap, so `memory.grow` past it returns -1 as the spec says. A memory whose minimum is
 * already over the cap cannot run within it and is refused. Returns the pages capped, by index.
 */
export function capMemory(module: WasmModule, maxPages: number): number[] {
  const capped: number[] = [];
  let index = 0;
  const cap = (limits: { flags: number; min: number; max: number | undefined }): void => {
    if (limits.flags & 0x04) {
      throw new InstrumentError(
        'memory64',
        `memory ${index} is 64-bit (memory64), which this engine cannot cap or run`,
      );
    }
    if (limits.min > maxPages) {
      throw new InstrumentError(
        'memory-minimum-over-cap',
        `memory ${index} starts at ${limits.min} pages (${limits.min * 64} KiB), over the cap of ${maxPages} pages (${maxPages * 64} KiB); raise the memory limit or shrink the module's initial memory`,
      );
    }
    if (limits.max === undefined || limits.max > maxPages) {
      limits.max = maxPages;
      limits.flags |= 0x01;
      capped.push(index);
    }
    index++;
  };
  const imports = module.sections.find((s) => s.id === 'import');
  if (imports?.id === 'import') {
    for (const i of imports.imports) if (i.desc.kind === 'memory') cap(i.desc.limits);
    delete imports.hints;
  }
  const memories = module.sections.find((s) => s.id === 'memory');
  if (memories?.id === 'memory') {
    for (const m of memories.memories) cap(m);
    delete memories.hints;
  }
  return capped;
}
