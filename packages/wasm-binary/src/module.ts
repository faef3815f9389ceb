import { WasmDecodeError } from './errors.js';
import { BinaryReader, lebU32Size } from './reader.js';
import type { FunctionBody, Section, SectionOf } from './sections.js';
import {
  readFunctionBody,
  readSectionPayload,
  SECTION_NAMES,
  SECTION_RANK,
  SectionId,
  writeFunctionBody,
  writeSectionPayload,
} from './sections.js';
import { BinaryWriter } from './writer.js';

export const WASM_MAGIC = 0x6d736100; // "\0asm" little-endian
export const CORE_VERSION = 1;

/** A decoded core module: its sections in their original order, custom sections included. */
export interface WasmModule {
  version: number;
  sections: Section[];
}

/** What the 8-byte preamble says the binary is. */
export type Preamble =
  | { kind: 'core'; version: number }
  | { kind: 'component'; version: number; layer: number }
  | { kind: 'unknown'; reason: 'too-short' | 'bad-magic' | 'bad-version' };

export function readPreamble(bytes: Uint8Array): Preamble {
  if (bytes.length < 8) return { kind: 'unknown', reason: 'too-short' };
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    return { kind: 'unknown', reason: 'bad-magic' };
  }
  const version = (bytes[4] as number) | ((bytes[5] as number) << 8);
  const layer = (bytes[6] as number) | ((bytes[7] as number) << 8);
  if (layer === 0 && version === CORE_VERSION) return { kind: 'core', version };
  if (layer === 1) return { kind: 'component', version, layer };
  return { kind: 'unknown', reason: 'bad-version' };
}

/** One section header: id, payload range, and the width of the size LEB. */
export interface SectionHeader {
  id: number;
  /** Offset of the id byte. */
  offset: number;
  payloadStart: number;
  payloadEnd: number;
  sizeWidth: number;
}

/**
 * Walks the section headers of a core module, checking sizes, ordering and duplicates.
 * Shared by the full decoder and by the fast inspection used for validation.
 */
export function* readSectionHeaders(bytes: Uint8Array, r = new BinaryReader(bytes, 8)): Generator<SectionHeader> {
  let lastRank = 0;
  const seen = new Set<number>();
  while (!r.atEnd()) {
    const offset = r.pos;
    const id = r.u8('a section id');
    if (id > 13) r.fail('a section id (0-13)', `got ${id}`, offset);
    const sizeAt = r.pos;
    const size = r.u32('a section size');
    const sizeWidth = r.pos - sizeAt;
    if (size > r.remaining) {
      r.fail(`a ${SECTION_NAMES[id]} section of ${size} bytes`, `only ${r.remaining} bytes left`, sizeAt);
    }
    if (id !== 0) {
      const rank = SECTION_RANK[id] as number;
      if (seen.has(id)) r.fail(`at most one ${SECTION_NAMES[id]} section`, 'duplicate section', offset);
      if (rank < lastRank)
        r.fail('sections in the order the format requires', `${SECTION_NAMES[id]} section out of order`, offset);
      seen.add(id);
      lastRank = rank;
    }
    const header = { id, offset, payloadStart: r.pos, payloadEnd: r.pos + size, sizeWidth };
    yield header;
    r.pos = header.payloadEnd;
  }
}

function checkConsumed(r: BinaryReader, h: SectionHeader): void {
  if (r.pos !== h.payloadEnd) {
    r.fail(
      `the end of the ${SECTION_NAMES[h.id]} section`,
      `${h.payloadEnd - r.pos} bytes left over (section size mismatch)`,
    );
  }
}

export function readCustomSectionName(r: BinaryReader): string {
  return r.name('a custom section name');
}

function readCodeSection(r: BinaryReader): SectionOf<'code'> {
  const n = r.count('function body', 2);
  const bodies: FunctionBody[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const sizeAt = r.pos;
    const size = r.u32('a function body size');
    if (size > r.remaining) r.fail(`a function body of ${size} bytes`, `only ${r.remaining} bytes left`, sizeAt);
    const end = r.pos + size;
    // Body LEBs get their own hints so that instrumenting one body leaves the others byte-exact.
    const sectionOrdinal = r.lebOrdinal;
    const sectionHints = r.takeHints();
    r.beginHints();
    const body = readFunctionBody(r, end);
    const bodyHints = r.takeHints();
    if (bodyHints) body.hints = bodyHints;
    r.lebOrdinal = sectionOrdinal;
    r.hints = sectionHints;
    bodies[i] = body;
  }
  return { id: 'code', bodies };
}

/** Decodes a whole core module, every instruction included. Throws `WasmDecodeError` with an offset. */
export function decodeModule(bytes: Uint8Array): WasmModule {
  const preamble = readPreamble(bytes);
  if (preamble.kind === 'component') throw new WasmDecodeError(4, 'a core module', 'this is a component');
  if (preamble.kind === 'unknown') {
    if (preamble.reason === 'too-short')
      throw new WasmDecodeError(0, 'the 8-byte wasm header', `file is ${bytes.length} bytes`);
    if (preamble.reason === 'bad-magic') throw new WasmDecodeError(0, 'the magic bytes \\0asm');
    throw new WasmDecodeError(4, 'version 1', 'unsupported version');
  }
  const r = new BinaryReader(bytes, 8);
  const sections: Section[] = [];
  for (const h of readSectionHeaders(bytes, r)) {
    const outerEnd = r.end;
    r.end = h.payloadEnd;
    r.beginHints();
    let s: Section;
    if (h.id === SectionId.custom) {
      const name = readCustomSectionName(r);
      s = { id: 'custom', name, data: r.take(h.payloadEnd - r.pos) };
    } else if (h.id === SectionId.code) {
      s = readCodeSection(r);
    } else {
      s = readSectionPayload(r, h.id);
    }
    checkConsumed(r, h);
    const hints = r.takeHints();
    if (hints) s.hints = hints;
    if (h.sizeWidth !== lebU32Size(h.payloadEnd - h.payloadStart)) s.sizeWidth = h.sizeWidth;
    r.end = outerEnd;
    sections.push(s);
  }
  checkCounts(sections, bytes.length);
  return { version: preamble.version, sections };
}

/** The format requires as many bodies as declared functions, and a data count equal to the data segments. */
function checkCounts(sections: Section[], size: number): void {
  const find = <K extends Section['id']>(id: K) => sections.find((x): x is SectionOf<K> => x.id === id);
  const funcs = find('function')?.typeIndices.length ?? 0;
  const bodies = find('code')?.bodies.length ?? 0;
  if (funcs !== bodies) {
    throw new WasmDecodeError(
      size,
      'as many function bodies as declared functions',
      `function section declares ${funcs}, code section has ${bodies}`,
    );
  }
  const dataCount = find('dataCount')?.count;
  const segments = find('data')?.segments.length ?? 0;
  if (dataCount !== undefined && dataCount !== segments) {
    throw new WasmDecodeError(
      size,
      'a data count equal to the number of data segments',
      `data count ${dataCount}, data segments ${segments}`,
    );
  }
}

function writeSizedUnit(out: BinaryWriter, payload: Uint8Array, sizeWidth: number | undefined): void {
  out.useHints(sizeWidth === undefined ? undefined : new Map([[0, sizeWidth]]));
  out.u32(payload.length);
  out.useHints(undefined);
  out.bytes(payload);
}

/** Encodes a module; a module straight from `decodeModule` comes back byte for byte. */
export function encodeModule(module: WasmModule): Uint8Array {
  const out = new BinaryWriter(1024);
  out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, module.version & 0xff, module.version >> 8, 0, 0]));
  const payload = new BinaryWriter(1024);
  const body = new BinaryWriter(256);
  for (const s of module.sections) {
    payload.length = 0;
    payload.useHints(s.hints);
    if (s.id === 'custom') {
      payload.name(s.name);
      payload.bytes(s.data);
    } else if (s.id === 'code') {
      payload.u32(s.bodies.length);
      for (const b of s.bodies) {
        body.length = 0;
        body.useHints(b.hints);
        writeFunctionBody(body, b);
        const view = body.view();
        // The body size is a section-level LEB, so the section's hints restore a padded size.
        payload.u32(view.length);
        payload.bytes(view);
      }
    } else {
      writeSectionPayload(payload, s);
    }
    out.u8(SectionId[s.id]);
    writeSizedUnit(out, payload.view(), s.sizeWidth);
  }
  return out.finish();
}
