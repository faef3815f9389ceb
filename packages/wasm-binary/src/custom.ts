import { BinaryReader } from './reader.js';

/** The `producers` custom section: which languages, tools and SDKs made the module. */
export interface Producers {
  language: ProducerEntry[];
  processedBy: ProducerEntry[];
  sdk: ProducerEntry[];
  other: Record<string, ProducerEntry[]>;
}
export interface ProducerEntry {
  name: string;
  version: string;
}

export function decodeProducers(data: Uint8Array): Producers {
  const r = new BinaryReader(data);
  const out: Producers = { language: [], processedBy: [], sdk: [], other: {} };
  const fields = r.count('producers field', 2);
  for (let i = 0; i < fields; i++) {
    const field = r.name('a producers field name');
    const n = r.count('producer', 2);
    const entries: ProducerEntry[] = [];
    for (let j = 0; j < n; j++)
      entries.push({ name: r.name('a producer name'), version: r.name('a producer version') });
    if (field === 'language') out.language.push(...entries);
    else if (field === 'processed-by') out.processedBy.push(...entries);
    else if (field === 'sdk') out.sdk.push(...entries);
    else out.other[field] = entries;
  }
  return out;
}

/** The parts of the `name` custom section that metadata shows: module and function names. */
export interface NameSection {
  moduleName: string | undefined;
  functionNames: Map<number, string>;
}

export function decodeNameSection(data: Uint8Array): NameSection {
  const r = new BinaryReader(data);
  const out: NameSection = { moduleName: undefined, functionNames: new Map() };
  while (!r.atEnd()) {
    const id = r.u8('a name subsection id');
    const size = r.u32('a name subsection size');
    const end = r.pos + size;
    if (end > r.end) r.fail(`a name subsection of ${size} bytes`, 'overruns the section');
    if (id === 0) out.moduleName = r.name('the module name');
    else if (id === 1) {
      const n = r.count('function name', 2);
      for (let i = 0; i < n; i++) out.functionNames.set(r.u32('a function index'), r.name('a function name'));
    }
    r.pos = end;
  }
  return out;
}
