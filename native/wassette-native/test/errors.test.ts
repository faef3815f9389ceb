import { expect, it } from 'vitest';
import { watToWasm } from '../../../tools/build-fixtures.mts';
import type { NativePlan } from '../index.js';
import { addon, call, compileWat, describeNative, NUMBERS_WAT, newEngine, plan, rejection } from './helpers.ts';

describeNative('errors before a run', () => {
  it("reject with code 'compile' for bytes that are not wasm", async () => {
    const engine = newEngine();
    const bad = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0xff, 0x01]);
    const error = await rejection(engine.compile(bad, { metered: false }));
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('compile');
    expect(error.message).toMatch(/does not compile/);
  });

  it("reject with code 'link' naming the import that cannot be satisfied", async () => {
    const engine = newEngine();
    const module = await engine.compile(
      await watToWasm('(module (import "env" "missing_host_fn" (func)) (func (export "_start")))'),
      { metered: false },
    );
    const error = await rejection(engine.run(module, plan()));
    expect(error.code).toBe('link');
    expect(error.message).toMatch(/missing_host_fn/);
  });

  it("reject with code 'grant' for a preopen that cannot be opened", async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const error = await rejection(
      engine.run(
        module,
        call('nothing', [], {
          preopens: [{ hostPath: '/no/such/portalis/dir', guestPath: '/data', readOnly: true }],
        }),
      ),
    );
    expect(error.code).toBe('grant');
    expect(error.message).toMatch(/no\/such\/portalis\/dir/);
  });

  it("reject with code 'invalid' for fuel on an unmetered module", async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const error = await rejection(engine.run(module, call('nothing', [], { limits: { ...plan().limits, fuel: 10 } })));
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/fuel/);
  });

  it("reject with code 'invalid' for an export that does not exist", async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const error = await rejection(engine.run(module, call('no_such_export')));
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/no_such_export/);
  });

  it('refuse a module from another engine', async () => {
    const module = await compileWat(newEngine(), NUMBERS_WAT);
    const error = await rejection(newEngine().run(module, call('nothing')));
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/another NativeEngine/);
  });
});

describeNative('plans are checked field by field', () => {
  const bad: [string, (p: NativePlan) => unknown, RegExp][] = [
    ['a bad kind', (p) => ({ ...p, kind: 'exec' }), /plan\.kind must be 'command', 'function' or 'json'/],
    ['a function call without a name', (p) => ({ ...p, kind: 'function' }), /plan\.function is missing/],
    ['an empty export name', (p) => ({ ...p, kind: 'function', function: '' }), /plan\.function must name/],
    [
      'an argument of the wrong type',
      (p) => ({ ...p, kind: 'function', function: 'add32', fnArgs: [{ type: 'i32', value: '1' }] }),
      /plan\.fnArgs\[0\]\.value must be a number or a bigint for type i32 \(got string\)/,
    ],
    [
      'a bigint for an i32',
      (p) => ({ ...p, kind: 'function', function: 'add32', fnArgs: [{ type: 'i32', value: 1n }] }),
      /plan\.fnArgs\[0\]\.value must be a number for type i32/,
    ],
    [
      'an i64 out of range',
      (p) => ({ ...p, kind: 'function', function: 'id64', fnArgs: [{ type: 'i64', value: 2n ** 64n }] }),
      /plan\.fnArgs\[0\]\.value is out of range for type i64/,
    ],
    [
      'a fraction for an integer',
      (p) => ({ ...p, kind: 'function', function: 'id32', fnArgs: [{ type: 'i32', value: 1.5 }] }),
      /plan\.fnArgs\[0\]\.value must be a whole number/,
    ],
    [
      'an unknown value type',
      (p) => ({ ...p, kind: 'function', function: 'id32', fnArgs: [{ type: 'v128', value: 1 }] }),
      /plan\.fnArgs\[0\]\.type must be 'i32', 'i64', 'f32' or 'f64'/,
    ],
    ['a json call without input', (p) => ({ ...p, kind: 'json', function: 'echo' }), /plan\.jsonInput is missing/],
    ['fnArgs on a command', (p) => ({ ...p, fnArgs: [] }), /plan\.fnArgs is only for the function kind/],
    ['missing limits', (p) => ({ ...p, limits: undefined }), /plan\.limits is missing/],
    [
      'a negative timeout',
      (p) => ({ ...p, limits: { ...p.limits, timeoutMs: -1 } }),
      /plan\.limits\.timeoutMs must be a finite number/,
    ],
    [
      'a fractional memory cap',
      (p) => ({ ...p, limits: { ...p.limits, maxMemoryBytes: 1.5 } }),
      /plan\.limits\.maxMemoryBytes must be a whole number/,
    ],
    ['args that are not strings', (p) => ({ ...p, args: ['x', 1] }), /plan\.args\[1\] must be a string \(got number\)/],
    [
      'an env entry that is not a pair',
      (p) => ({ ...p, env: [['A']] }),
      /plan\.env\[0\] must be a \[name, value\] pair/,
    ],
    ['stdin that is not bytes', (p) => ({ ...p, stdin: 'text' }), /plan\.stdin must be a Uint8Array/],
    [
      'a preopen without readOnly',
      (p) => ({ ...p, preopens: [{ hostPath: '/tmp', guestPath: '/tmp' }] }),
      /plan\.preopens\[0\]\.readOnly is missing/,
    ],
    [
      'a port out of range',
      (p) => ({ ...p, network: { allow: true, hosts: [{ host: 'example.com', port: 70000 }] } }),
      /plan\.network\.hosts\[0\]\.port must be a whole number from 0 to 65535/,
    ],
    ['a plan that is not an object', () => 'run it', /plan must be an object \(got string\)/],
  ];

  it.each(bad)("reject %s with code 'invalid' naming the field", async (_name, change, message) => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const error = await rejection(engine.run(module, change(plan()) as NativePlan));
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(message);
  });

  it('reject other arguments that are not what they should be', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const notAModule = await rejection(engine.run({} as typeof module, plan()));
    expect([notAModule.code, notAModule.message]).toEqual([
      'invalid',
      expect.stringMatching(/module must be a NativeModule/),
    ]);
    const notASignal = await rejection(engine.run(module, call('nothing'), {} as AbortSignal));
    expect([notASignal.code, notASignal.message]).toEqual(['invalid', expect.stringMatching(/signal must be/)]);
    const notAFunction = await rejection(engine.run(module, call('nothing'), null, 'log' as unknown as () => void));
    expect([notAFunction.code, notAFunction.message]).toEqual([
      'invalid',
      expect.stringMatching(/onOutput must be a function/),
    ]);
    const noOptions = await rejection(engine.compile(new Uint8Array(8), undefined as never));
    expect(noOptions.code).toBe('invalid');
    const noMetered = await rejection(engine.compile(new Uint8Array(8), {} as never));
    expect(noMetered.message).toMatch(/options\.metered is missing/);
    const notBytes = await rejection(engine.compile('(module)' as never, { metered: false }));
    expect(notBytes.message).toMatch(/bytes must be a Uint8Array/);
  });

  it('reject a stack size the pool threads cannot hold, when the engine is made', () => {
    const NativeEngine = addon().NativeEngine;
    expect(() => new NativeEngine({ maxWasmStack: 64 << 20 })).toThrow(/maxWasmStack/);
    try {
      new NativeEngine({ maxWasmStack: 1024 });
    } catch (e) {
      expect((e as { code?: string }).code).toBe('invalid');
    }
    expect(() => new NativeEngine({ maxWasmStack: 4 << 20 })).toThrow(/maxWasmStack/);
    expect(() => new NativeEngine({ maxWasmStack: 2 << 20 })).not.toThrow();
  });
});
