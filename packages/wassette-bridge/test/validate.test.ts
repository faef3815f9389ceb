import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModule, readPreamble } from '@portalis/wasm-binary';
import { describe, expect, it } from 'vitest';
import { allFixtures, client, fixtureBytes, fixturePath, module, section, watToWasm } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'portalis-validate-'));

describe('validate: valid binaries', () => {
  it('accepts every fixture built from source', async () => {
    for (const name of allFixtures()) {
      const report = await client.validate(fixturePath(name));
      expect(report.errors, name).toEqual([]);
      expect(report.isValid, name).toBe(true);
      expect(report.metadata?.sha256, name).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('describes the calculator: exports with signatures, memory limits, digest', async () => {
    const report = await client.validate(fixturePath('calc.wasm'));
    const m = report.metadata!;
    expect(m.kind).toBe('core');
    expect(m.size).toBe(fixtureBytes('calc.wasm').length);
    expect(m.exports.find((e) => e.name === 'add')).toEqual({
      name: 'add',
      kind: 'func',
      index: 1,
      type: '(func (param i32 i32) (result i32))',
    });
    expect(m.exports.find((e) => e.name === 'memory')?.type).toBe('(memory 1 16)');
    expect(m.memories).toEqual([
      { index: 0, imported: false, minPages: 1, maxPages: 16, pageSize: 65536, shared: false, memory64: false },
    ]);
    expect(m.globals).toEqual([{ index: 0, imported: false, type: 'i32', mutable: true }]);
    expect(m.wasi).toBe('none');
    expect(m.capabilities).toEqual([]);
    const { createHash } = await import('node:crypto');
    expect(m.sha256).toBe(createHash('sha256').update(fixtureBytes('calc.wasm')).digest('hex'));
  });

  it('derives the WASI version and capabilities from imports', async () => {
    const bytes = await watToWasm(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (memory (export "memory") 1 1)
      (func (export "_start")))`);
    const m = (await client.validate(bytes)).metadata!;
    expect(m.wasi).toBe('preview1');
    expect(m.capabilities).toEqual(['filesystem', 'env', 'clocks', 'random', 'sockets', 'exit', 'stdio']);
    expect(m.imports[1]).toEqual({
      module: 'wasi_snapshot_preview1',
      name: 'path_open',
      kind: 'func',
      type: '(func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32))',
    });
  });

  it('describes a component: WIT world, exported functions with types, nested modules', async () => {
    const report = await client.validate(fixturePath('greeter.component.wasm'));
    expect(report.isValid).toBe(true);
    const m = report.metadata!;
    expect(m.kind).toBe('component');
    expect(m.component?.wit).toMatch(/export add: func\(a: u32, b: u32\) -> u32;/);
    expect(m.component?.exportedFunctions).toEqual([{ name: 'add', signature: 'func(a: u32, b: u32) -> u32' }]);
    expect(m.component?.coreModules).toBeGreaterThanOrEqual(1);
    expect(m.wasi).toBe('none');
  });

  it('lists exported functions of a component whose world also defines records', async () => {
    const m = (await client.validate(fixturePath('wasi-component.component.wasm'))).metadata!;
    expect(m.wasi).toBe('preview2');
    expect(m.capabilities).toEqual(['env', 'args']);
    expect(m.component?.exportedFunctions).toEqual([
      { name: 'greet', signature: 'func(name: string) -> greeting' },
      { name: 'count-words', signature: 'func(text: string) -> u32' },
      { name: 'env-count', signature: 'func() -> u32' },
    ]);
  });

  it('reports features used, including those found only inside code', async () => {
    const bytes = await watToWasm(`;; features: simd tail_call
      (module
        (func $f (param i32) (result i32) (return_call $f (i32.extend8_s (local.get 0))))
        (func (export "g") (result v128) (v128.const i64x2 1 2)))`);
    const m = (await client.validate(bytes)).metadata!;
    expect(m.features).toEqual(expect.arrayContaining(['simd', 'tail-call', 'sign-extension']));
  });

  it('reports the same features and instruction count as the checking decoder once the engine accepts a module', async () => {
    // validate() walks the code of modules V8 accepted without re-checking it; the result must not change.
    let compared = 0;
    for (const name of allFixtures()) {
      const bytes = fixtureBytes(name);
      if (readPreamble(bytes).kind !== 'core' || !WebAssembly.validate(bytes as BufferSource)) continue;
      const checked = inspectModule(bytes);
      const m = (await client.validate(bytes)).metadata!;
      expect(m.features, name).toEqual([...checked.features].filter((f) => f !== 'mvp').sort());
      expect(m.instructionCount, name).toBe(checked.instructionCount);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});

describe('validate: warnings', () => {
  it('warns about memory without a maximum, unknown host imports and no exports', async () => {
    const bytes = await watToWasm('(module (import "host" "log" (func (param i32))) (memory 1))');
    const report = await client.validate(bytes);
    expect(report.isValid).toBe(true);
    expect(report.warnings.map((w) => w.code).sort()).toEqual(['memory-unbounded', 'no-exports', 'unknown-import']);
    expect(report.warnings.find((w) => w.code === 'unknown-import')?.message).toContain('"host" (log)');
  });

  it('does not warn about imports from a declared host module', async () => {
    const bytes = await watToWasm('(module (import "env" "abort" (func)) (func (export "f")))');
    const report = await client.validate(bytes, { allowedHostModules: ['env'] });
    expect(report.warnings).toEqual([]);
  });

  it('warns when the binary is over the size budget', async () => {
    const report = await client.validate(fixturePath('calc.wasm'), { sizeBudgetBytes: 100 });
    expect(report.isValid).toBe(true);
    expect(report.warnings.map((w) => w.code)).toContain('size-budget');
  });

  it('warns about large debug sections', async () => {
    const name = [...Buffer.from('.debug_info')];
    const payload = [name.length, ...name, ...new Array(100).fill(0)];
    const bytes = module(section(0, payload), section(1, [0]));
    const report = await client.validate(bytes, { debugSectionWarnBytes: 50 });
    expect(report.warnings.map((w) => w.code)).toContain('debug-sections');
  });

  it('warns, without rejecting, when a producers section does not decode', async () => {
    const name = [...Buffer.from('producers')];
    const bytes = module(section(0, [name.length, ...name, 0x05, 0x01]));
    const report = await client.validate(bytes);
    expect(report.isValid).toBe(true);
    expect(report.warnings.map((w) => w.code)).toContain('custom-section-malformed');
  });
});

describe('validate: bad input is reported, never thrown', () => {
  it('empty input', async () => {
    const r = await client.validate(new Uint8Array());
    expect(r.isValid).toBe(false);
    expect(r.errors[0]?.code).toBe('empty');
  });

  it('a header cut short', async () => {
    const r = await client.validate(new Uint8Array([0x00, 0x61, 0x73]));
    expect(r.errors[0]).toMatchObject({ code: 'truncated' });
  });

  it('every truncation of a real module is rejected as truncated or malformed, with an offset', async () => {
    const bytes = fixtureBytes('calc.wasm');
    let rejected = 0;
    for (let cut = 8; cut < bytes.length; cut++) {
      const head = bytes.subarray(0, cut);
      const r = await client.validate(head);
      // A cut exactly at a section boundary leaves a shorter, well-formed module.
      if (WebAssembly.validate(head as BufferSource)) {
        expect(r.isValid, `cut ${cut}`).toBe(true);
        continue;
      }
      rejected++;
      expect(r.isValid, `cut ${cut}`).toBe(false);
      expect(['truncated', 'malformed'], `cut ${cut}`).toContain(r.errors[0]?.code);
      expect(typeof r.errors[0]?.offset, `cut ${cut}`).toBe('number');
    }
    expect(rejected).toBeGreaterThan(bytes.length / 2);
  });

  it('wrong magic', async () => {
    const r = await client.validate(Buffer.from('#!/bin/sh\necho not wasm\n'));
    expect(r.errors[0]).toMatchObject({ code: 'bad-magic', offset: 0 });
  });

  it('wrong version', async () => {
    const r = await client.validate(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]));
    expect(r.errors[0]).toMatchObject({ code: 'bad-version', offset: 4 });
  });

  it('random bytes', async () => {
    const noise = new Uint8Array(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const r = await client.validate(noise);
    expect(r.isValid).toBe(false);
    expect(r.errors[0]?.code).toBe('bad-magic');
  });

  it('random bytes after a valid header', async () => {
    const r = await client.validate(module([0x0e, 0xff, 0x13, 0x77]));
    expect(r.isValid).toBe(false);
    expect(r.errors[0]).toMatchObject({ code: 'malformed', offset: 8 });
  });

  it('a missing path', async () => {
    const r = await client.validate(join(scratch, 'nope.wasm'));
    expect(r.errors[0]?.code).toBe('not-found');
    expect(r.errors[0]?.message).toContain('nope.wasm');
    expect(r.source).toBe(join(scratch, 'nope.wasm'));
  });

  it('a directory', async () => {
    const r = await client.validate(scratch);
    expect(r.errors[0]?.code).toBe('not-a-file');
  });

  it('a file over the size limit is refused without being read', async () => {
    const big = join(scratch, 'big.wasm');
    writeFileSync(big, Buffer.alloc(4096));
    const r = await client.validate(big, { maxBytes: 1024 });
    expect(r.errors[0]?.code).toBe('too-large');
    expect(r.errors[0]?.message).toMatch(/4096 bytes, over the 1024 bytes limit/);
  });

  it('a type error is invalid, with the engine reason and offset', async () => {
    const r = await client.validate(
      module(section(1, [1, 0x60, 0, 1, 0x7f]), section(3, [1, 0]), section(10, [1, 2, 0, 0x0b])),
    );
    expect(r.isValid).toBe(false);
    expect(r.errors[0]?.code).toBe('invalid');
    expect(r.errors[0]?.offset).toBeTypeOf('number');
    expect(r.metadata?.kind).toBe('core');
  });

  it('a GC module is valid per the format but unsupported by this engine, not malformed', async () => {
    // (type (struct (field i32)))
    const r = await client.validate(module(section(1, [1, 0x5f, 1, 0x7f, 0])));
    expect(r.isValid).toBe(false);
    expect(r.errors[0]?.code).toBe('unsupported-feature');
    expect(r.errors[0]?.message).toMatch(/well-formed.*gc/);
    expect(r.metadata?.features).toContain('gc');
  });

  it('two memories are multi-memory, unsupported rather than malformed', async () => {
    const r = await client.validate(module(section(5, [2, 0, 1, 0, 1])));
    expect(r.errors[0]?.code).toBe('unsupported-feature');
    expect(r.metadata?.features).toContain('multi-memory');
  });

  it('a component whose nested core module does not type-check is invalid', async () => {
    const bytes = Uint8Array.from(fixtureBytes('greeter.component.wasm'));
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x20, 0x00, 0x20, 0x01, 0x6a]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 4] = 0xa0; // i32.add -> f64.add
    const r = await client.validate(bytes);
    expect(r.isValid).toBe(false);
    expect(r.errors[0]?.code).toBe('invalid');
    expect(r.errors[0]?.message).toMatch(/nested core module at byte \d+/);
  });

  it('a truncated component', async () => {
    const bytes = fixtureBytes('greeter.component.wasm');
    const r = await client.validate(bytes.subarray(0, bytes.length - 10));
    expect(r.isValid).toBe(false);
    expect(['truncated', 'malformed']).toContain(r.errors[0]?.code);
  });

  it('a value that is not bytes or a path', async () => {
    const r = await client.validate(42 as unknown as string);
    expect(r.errors[0]?.code).toBe('read-failed');
  });
});
