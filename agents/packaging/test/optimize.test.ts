import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentPermissions } from '@portalis/wassette-bridge';
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../src/index.js';
import { generateKeyPair, PackagingAgent, verifyPackage, wasmOptOz } from '../src/index.js';
import { agent, calcManifest, check, client, fixtureBytes, fixturePath, scratch, watToWasm } from './helpers.js';

const withOptimizer = (optimizer: Optimizer) => new PackagingAgent({ client, optimizer });

describe('optimize: wasm-opt -Oz through binaryen', () => {
  it('shrinks a module, reports before and after, and checks the optimized module', async () => {
    const before = fixtureBytes('calc.wasm').length;
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest(), { optimize: true });
    expect(report.checks.map((c) => c.name)[0]).toBe('optimize');
    const c = check(report, 'optimize');
    expect(c.ok).toBe(true);
    expect(c.message).toMatch(
      new RegExp(`^wasm-opt -Oz: ${before} B -> \\d+ B \\(-\\d+\\.\\d%\\); the optimized module is valid$`),
    );
    const after = report.module?.optimized?.after ?? 0;
    expect(report.module?.optimized?.before).toBe(before);
    expect(after).toBeLessThan(before);
    expect(report.module?.size).toBe(after);
    expect(check(report, 'valid').message).toBe(`valid core module (${after} B)`);
    expect(report.ok).toBe(true);
  });

  it('the packaged optimized module still computes the same results', async () => {
    const root = scratch();
    const keys = await generateKeyPair(join(root, 'k'));
    const result = await agent.package(fixturePath('calc.wasm'), calcManifest(), {
      keyFile: keys.keyFile,
      outDir: root,
      optimize: true,
    });
    const shipped = new Uint8Array(readFileSync(result.files.module));
    expect(shipped.length).toBeLessThan(fixtureBytes('calc.wasm').length);
    expect(result.manifest.optimized).toEqual({
      tool: 'wasm-opt -Oz (binaryen)',
      before: fixtureBytes('calc.wasm').length,
      after: shipped.length,
    });
    expect(result.manifest.size).toBe(shipped.length);
    const handle = await client.load(shipped);
    for (const [name, args, want] of [
      ['add', [2, 3], 5],
      ['sub', [2, 3], -1],
      ['mul', [6, 7], 42],
      ['div', [7, 0], 0],
    ] as const) {
      const r = await client.execute(handle, {
        kind: 'function',
        name,
        args: [...args],
        permissions: ComponentPermissions.none(),
      });
      expect(r.returnValue, name).toEqual([want]);
    }
    expect((await verifyPackage(result.dir, { pubkeyFile: keys.pubFile })).ok).toBe(true);
  });

  it('keeps the original when wasm-opt does not make it smaller', async () => {
    // asc already optimized calculator.wasm; binaryen 132's -Oz output is a few bytes larger.
    const report = await agent.verify(
      fixturePath('calculator.wasm'),
      calcManifest({ name: 'calculator', callingConvention: 'wasi-command', entry: '_start' }),
      { optimize: true },
    );
    expect(check(report, 'optimize')).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^wasm-opt -Oz gave \d+ B, not smaller than \d+ B; kept the original$/),
    });
    expect(report.module?.optimized).toBeUndefined();
    expect(report.module?.size).toBe(fixtureBytes('calculator.wasm').length);
  });

  it('keeps the original when an optimizer returns the same size', async () => {
    const same = withOptimizer(async (wasm) => wasm);
    const report = await same.verify(fixturePath('calc.wasm'), calcManifest(), { optimize: true });
    expect(check(report, 'optimize').message).toMatch(/not smaller than .*; kept the original$/);
    expect(report.module?.optimized).toBeUndefined();
  });

  it('optimizes with the features the module uses and no others', async () => {
    // With sign-extension allowed, binaryen turns this shift pair into i32.extend8_s.
    const wasm = await watToWasm(`(module
      (func (export "low_byte") (param i32) (result i32)
        (i32.shr_s (i32.shl (local.get 0) (i32.const 24)) (i32.const 24))))`);
    const plain = await client.validate(await wasmOptOz(wasm, []));
    expect(plain.isValid).toBe(true);
    expect(plain.metadata?.features).toEqual([]);
    const allowed = await client.validate(await wasmOptOz(wasm, ['sign-extension']));
    expect(allowed.metadata?.features).toEqual(['sign-extension']);
    const report = await agent.verify(wasm, calcManifest({ entry: 'low_byte' }), { optimize: true });
    expect(check(report, 'optimize').ok).toBe(true);
    expect(report.ok).toBe(true);
  });

  it('skips a component: wasm-opt works on core modules', async () => {
    const report = await agent.verify(
      fixturePath('greeter.component.wasm'),
      calcManifest({ callingConvention: 'component', entry: 'add' }),
      { optimize: true },
    );
    expect(check(report, 'optimize')).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^skipped: wasm-opt works on core modules/),
    });
    expect(report.ok).toBe(true);
  });
});

describe('optimize failures', () => {
  it('an optimized module that does not validate fails the check, and package refuses', async () => {
    const broken = withOptimizer(async (wasm) => wasm.subarray(0, wasm.length - 3));
    const report = await broken.verify(fixturePath('calc.wasm'), calcManifest(), { optimize: true });
    expect(check(report, 'optimize')).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^wasm-opt -Oz produced an invalid module \(error\[\w+\]: .*\); package without --optimize$/,
      ),
    });
    expect(report.ok).toBe(false);
    const root = scratch();
    const keys = await generateKeyPair(join(root, 'k'));
    await expect(
      broken.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: keys.keyFile, outDir: root, optimize: true }),
    ).rejects.toMatchObject({ code: 'verify-failed', message: expect.stringMatching(/1 check failed \(optimize\)/) });
  });

  it('an optimizer that throws fails the check with its message', async () => {
    const failing = withOptimizer(async () => {
      throw new Error('out of memory');
    });
    const report = await failing.verify(fixturePath('calc.wasm'), calcManifest(), { optimize: true });
    expect(check(report, 'optimize').message).toBe('wasm-opt -Oz failed: out of memory; package without --optimize');
  });

  it('an optimized module that uses a feature the original did not fails the check', async () => {
    const signExt = await watToWasm(
      '(module (func (export "add") (param i32 i32) (result i32) (i32.extend8_s (local.get 0))))',
    );
    const sneaky = withOptimizer(async () => signExt);
    const report = await sneaky.verify(fixturePath('calc.wasm'), calcManifest(), { optimize: true });
    expect(check(report, 'optimize').message).toBe(
      'wasm-opt -Oz made the module use sign-extension, which the original did not; package without --optimize',
    );
  });

  it('an invalid input is not optimized', async () => {
    const report = await agent.verify(fixtureBytes('calc.wasm').subarray(0, 30), calcManifest(), { optimize: true });
    expect(check(report, 'optimize')).toMatchObject({
      ok: false,
      skipped: true,
      message: 'not optimized: the module is not valid',
    });
  });
});
