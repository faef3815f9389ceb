import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WassetteClient } from '@portalis/wassette-bridge';
import { expect } from 'vitest';
import type { PackageManifest, VerifyReport } from '../src/index.js';
import { PackagingAgent } from '../src/index.js';

export { fixtureBytes, fixturePath, watToWasm } from '../../../tools/fixtures.ts';

export const client = new WassetteClient();
export const agent = new PackagingAgent({ client });

/** A fresh temporary folder. */
export function scratch(prefix = 'portalis-packaging-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A manifest for calc.wasm's `add` (function convention, no capabilities), with `overrides` on top. */
export function calcManifest(overrides: Partial<PackageManifest> = {}): PackageManifest {
  return {
    name: 'calc',
    version: '1.0.0',
    description: 'four i32 operations',
    entry: 'add',
    callingConvention: 'function',
    capabilities: [],
    ...overrides,
  };
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** `wasm` with a custom section of `payload` appended: the module stays valid and grows by about payload's size. */
export function withCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...uleb(nameBytes.length), ...nameBytes];
  const header = [0, ...uleb(body.length + payload.length), ...body];
  const out = new Uint8Array(wasm.length + header.length + payload.length);
  out.set(wasm, 0);
  out.set(header, wasm.length);
  out.set(payload, wasm.length + header.length);
  return out;
}

/** Bytes that do not compress (a fixed-seed xorshift stream, so runs are repeatable). */
export function incompressible(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The check called `name`, failing the test when there is none. */
export function check(report: VerifyReport, name: string) {
  const found = report.checks.find((c) => c.name === name);
  expect(found, `no check named ${name} in ${report.checks.map((c) => c.name).join(', ')}`).toBeDefined();
  return found!;
}
