import { describe, expect, it } from 'vitest';
import { agent, calcManifest, check, fixturePath, watToWasm } from './helpers.js';

const helloManifest = (capabilities: string[]) =>
  calcManifest({ name: 'hello', callingConvention: 'wasi-command', entry: '_start', capabilities });

describe('convention', () => {
  it('json: memory, alloc (i32) -> (i32) and an entry returning one i64', async () => {
    const report = await agent.verify(
      fixturePath('plugin.wasm'),
      calcManifest({ name: 'plugin', callingConvention: 'json', entry: 'analyze' }),
    );
    expect(check(report, 'convention')).toMatchObject({
      ok: true,
      message: 'JSON call protocol: memory, alloc (i32) -> (i32), analyze (i32, i32) -> (i64)',
    });
    expect(report.ok).toBe(true);
  });

  it('json: an entry returning (i32, i32) is accepted too', async () => {
    const report = await agent.verify(
      fixturePath('guest-json.wasm'),
      calcManifest({ callingConvention: 'json', entry: 'echo' }),
    );
    expect(check(report, 'convention').message).toMatch(/echo \(i32, i32\) -> \(i32, i32\)$/);
  });

  it('json: names every way a module breaks the protocol', async () => {
    const wasm = await watToWasm(`(module
      (memory 1)
      (func (export "alloc") (param i64) (result i32) (i32.const 0))
      (func (export "run") (param i32) (result i32) (local.get 0)))`);
    const report = await agent.verify(wasm, calcManifest({ callingConvention: 'json', entry: 'run' }));
    expect(check(report, 'convention')).toMatchObject({
      ok: false,
      message:
        'does not follow the JSON call protocol: no memory exported as "memory"; alloc must be (i32) -> (i32), it is (i64) -> (i32); run must be (i32, i32) -> (i64) or (i32, i32) -> (i32, i32), it is (i32) -> (i32)',
    });
  });

  it('json: a module without alloc fails', async () => {
    const report = await agent.verify(
      fixturePath('calc.wasm'),
      calcManifest({ callingConvention: 'json', entry: 'add' }),
    );
    expect(check(report, 'convention').message).toMatch(/no export "alloc"/);
  });

  it('json on a component fails: the protocol is for core modules', async () => {
    const report = await agent.verify(
      fixturePath('greeter.component.wasm'),
      calcManifest({ callingConvention: 'json', entry: 'add' }),
    );
    expect(check(report, 'convention').message).toBe(
      'the json convention needs a core module; this is a component (use callingConvention: component)',
    );
  });

  it('function: an entry over numbers passes; a reference type fails', async () => {
    const ok = await agent.verify(fixturePath('calc.wasm'), calcManifest());
    expect(check(ok, 'convention').message).toBe('function entry add (i32, i32) -> (i32)');
    const wasm = await watToWasm(`;; features: reference_types
      (module (func (export "take") (param externref i32) (result i32) (local.get 1)))`);
    const bad = await agent.verify(wasm, calcManifest({ entry: 'take' }));
    expect(check(bad, 'convention')).toMatchObject({
      ok: false,
      message: 'take (externref, i32) -> (i32) uses externref; a function call passes only i32, i64, f32 and f64',
    });
  });

  it('function: an entry that is not a function fails', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest({ entry: 'memory' }));
    expect(check(report, 'convention').message).toBe('no entry function: "memory" is a memory, not a function');
  });

  it('wasi-command: _start () -> () passes', async () => {
    const report = await agent.verify(fixturePath('hello-wasi.wasm'), helloManifest(['stdio']));
    expect(check(report, 'convention').message).toBe('a WASI command (_start () -> (), WASI preview1)');
  });

  it('wasi-command: a _start with parameters, or another entry, fails', async () => {
    const wasm = await watToWasm('(module (func (export "_start") (param i32)))');
    const report = await agent.verify(wasm, calcManifest({ callingConvention: 'wasi-command', entry: 'main' }));
    expect(check(report, 'convention')).toMatchObject({
      ok: false,
      message:
        'not a WASI command: a WASI command\'s entry is _start, not "main"; _start must take and return nothing, it is (i32) -> ()',
    });
  });

  it('wasi-command: a command component passes; a component without wasi:cli/run fails', async () => {
    const ok = await agent.verify(
      fixturePath('hello-wasi.command.component.wasm'),
      helloManifest(['filesystem', 'clocks', 'stdio']),
    );
    expect(check(ok, 'convention').message).toBe('a WASI preview2 command component (exports wasi:cli/run)');
    expect(ok.ok).toBe(true);
    const bad = await agent.verify(fixturePath('greeter.component.wasm'), helloManifest([]));
    expect(check(bad, 'convention').message).toBe('not a WASI command: a command component must export wasi:cli/run');
  });

  it('component: an exported function passes; a core module or an unknown entry fails', async () => {
    const ok = await agent.verify(
      fixturePath('greeter.component.wasm'),
      calcManifest({ callingConvention: 'component', entry: 'add' }),
    );
    expect(check(ok, 'convention').message).toBe('component entry add: func(a: u32, b: u32) -> u32');
    const core = await agent.verify(fixturePath('calc.wasm'), calcManifest({ callingConvention: 'component' }));
    expect(check(core, 'convention').message).toBe('the component convention needs a component; this is a core module');
    const unknown = await agent.verify(
      fixturePath('greeter.component.wasm'),
      calcManifest({ callingConvention: 'component', entry: 'sub' }),
    );
    expect(check(unknown, 'convention').message).toBe('the component exports no function "sub" to use as the entry');
  });
});
