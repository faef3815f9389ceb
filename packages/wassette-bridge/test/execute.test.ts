import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledMemories } from '../src/engines/js/runner.js';
import {
  BridgeError,
  type ComponentHandle,
  ComponentPermissions,
  type ExecutionEvent,
  type ExecutionRequest,
  type ExecutionResult,
  WassetteClient,
} from '../src/index.js';
import { fixtureBytes, fixturePath, watToWasm } from './helpers.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const PAGE = 65536;

/** Engines this build can run; the Wasmtime engine joins this list when its addon is built. */
const engines = new WassetteClient()
  .engines()
  .filter((e) => e.available)
  .map((e) => e.name);

async function rejects(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error('expected a BridgeError');
}

function expectFailure(r: ExecutionResult, code: string, kind: string): void {
  expect(r.success).toBe(false);
  expect(r.trap).toBe(code);
  expect(r.error?.kind).toBe(kind);
  expect(r.error?.code).toBe(code);
  expect(r.error?.message).toBeTruthy();
}

describe.each(engines)('execution on the %s engine', (engine) => {
  let client: WassetteClient;
  const scratch = mkdtempSync(join(tmpdir(), 'portalis-exec-'));
  const load = (file: string, limits?: { maxMemoryBytes?: number; fuel?: number }) =>
    client.load(fixturePath(file), limits ? { limits } : {});

  /** A healthy run after a failure: the host process and its workers still work. */
  async function stillHealthy(): Promise<void> {
    const hello = await load('hello-wasi.wasm');
    const r = await client.execute(hello, { kind: 'command' });
    expect(r.success).toBe(true);
    expect(text(r.stdout)).toBe('hello from wasm\n');
  }

  beforeAll(() => {
    client = new WassetteClient({
      engine,
      hostEnv: { APP_NAME: 'portalis', APP_MODE: 'test', SECRET_TOKEN: 'hunter2' },
    });
  });
  afterAll(async () => {
    await client.close();
  });

  describe('WASI commands', () => {
    it('passes argv (argv[0] is the module name), explicit env and stdin; captures stdout', async () => {
      const h = await load('guest-echo.wasm');
      const r = await client.execute(h, {
        kind: 'command',
        args: ['one', 'two words'],
        env: { GREETING: 'hi' },
        stdin: 'from stdin\n',
      });
      expect(r.success).toBe(true);
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe('guest-echo.wasm\none\ntwo words\nGREETING=hi\nfrom stdin\n');
      expect(r.outputBytes).toBe(r.stdout.length);
      expect(r.executionTimeMs).toBeGreaterThan(0);
      expect(r.memoryUsedBytes).toBe(2 * PAGE);
    });

    it('reports the exit status of proc_exit and captures stderr', async () => {
      const r = await client.execute(await load('guest-exit.wasm'), { kind: 'command' });
      expect(r.success).toBe(false);
      expect(r.exitCode).toBe(3);
      expect(text(r.stderr)).toBe('bye\n');
      expect(r.trap).toBeUndefined();
      expect(r.error).toBeUndefined();
    });

    it('takes the load name as argv[0]', async () => {
      const h = await client.load(fixtureBytes('guest-echo.wasm'), { name: 'tool' });
      expect(text((await client.execute(h, { kind: 'command' })).stdout)).toBe('tool\n');
    });
  });

  describe('exported functions and fresh instances', () => {
    let numbers: ComponentHandle;
    beforeAll(async () => {
      const bytes = await watToWasm(`
        (module
          (func (export "mix") (param i32 i64 f32 f64) (result f64)
            (f64.add (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
                     (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))))
          (func (export "wide") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2)))
          (func (export "pair") (result i32 f32) (i32.const 7) (f32.const 0.5)))`);
      numbers = await client.load(bytes, { name: 'numbers.wasm' });
    });

    it('passes i32, i64 (bigint), f32 and f64 and returns every result', async () => {
      const r = await client.execute(numbers, { kind: 'function', name: 'mix', args: [-2, 40n, 1.5, 0.25] });
      expect(r.returnValue).toEqual([39.75]);
      const wide = await client.execute(numbers, { kind: 'function', name: 'wide', args: [2n ** 40n] });
      expect(wide.returnValue).toEqual([2n ** 41n]);
      expect((await client.execute(numbers, { kind: 'function', name: 'pair' })).returnValue).toEqual([7, 0.5]);
      expect(r.exitCode).toBeUndefined();
    });

    it('gives every execution a fresh instance: no state leaks between calls', async () => {
      const calc = await load('calc.wasm');
      expect((await client.execute(calc, { kind: 'function', name: 'add', args: [2, 3] })).returnValue).toEqual([5]);
      expect((await client.execute(calc, { kind: 'function', name: 'add', args: [2, 3] })).returnValue).toEqual([5]);
      // `calls` counts calls in a global: a shared instance would say 2 here.
      expect((await client.execute(calc, { kind: 'function', name: 'calls' })).returnValue).toEqual([0]);
    });

    it("leaves nothing of one run's memory to the next: writes, traps and growth included", async () => {
      const bytes = await watToWasm(`
        (module
          (memory (export "memory") 1 4)
          (data (i32.const 16) "seed")
          (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "poke_then_trap") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)) unreachable)
          (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "pages") (result i32) (memory.size)))`);
      const call = async (h: ComponentHandle, name: string, args: number[], isolation?: 'in-thread') =>
        client.execute(h, { kind: 'function', name, args, isolation });
      const handles: Array<[ComponentHandle, 'in-thread' | undefined]> = [];
      // With and without the js engine's opt-in memory pool (the wasmtime engine ignores it).
      for (const pool of ['1', undefined]) {
        process.env.PORTALIS_JS_MEMORY_POOL = pool;
        if (pool === undefined) delete process.env.PORTALIS_JS_MEMORY_POOL;
        const metered = await client.load(bytes, { name: 'state.wasm', limits: { fuel: 1e6 } });
        const plain = await client.load(bytes, { name: 'state.wasm' });
        handles.push([metered, 'in-thread'], [metered, undefined], [plain, undefined]);
      }
      for (const [h, isolation] of handles) {
        for (let round = 0; round < 3; round++) {
          expect((await call(h, 'poke', [100, 99], isolation)).success).toBe(true);
          expect((await call(h, 'peek', [100], isolation)).returnValue).toEqual([0]);
          // The data segment is there again after a run overwrote it.
          await call(h, 'poke', [16, 0x58], isolation);
          expect((await call(h, 'peek', [16], isolation)).returnValue).toEqual([0x73]);
          expect((await call(h, 'poke_then_trap', [200, 7], isolation)).trap).toBe('unreachable');
          expect((await call(h, 'peek', [200], isolation)).returnValue).toEqual([0]);
          const grown = await call(h, 'grow', [2], isolation);
          expect(grown.returnValue).toEqual([1]);
          expect(grown.memoryUsedBytes).toBe(3 * PAGE);
          const after = await call(h, 'pages', [], isolation);
          expect(after.returnValue).toEqual([1]);
          expect(after.memoryUsedBytes).toBe(PAGE);
        }
      }
    });

    it('refuses bad calls before running anything, each with a clear message', async () => {
      const calc = await load('calc.wasm');
      expect((await rejects(client.execute(calc, { kind: 'function', name: 'nope' }))).message).toMatch(
        /no exported function "nope".*add, sub, mul, div, calls/,
      );
      expect((await rejects(client.execute(calc, { kind: 'function', name: 'memory' }))).message).toMatch(
        /is a memory/,
      );
      expect((await rejects(client.execute(calc, { kind: 'function', name: 'add', args: [1] }))).message).toMatch(
        /takes 2 arguments \(i32, i32\), got 1/,
      );
      expect((await rejects(client.execute(calc, { kind: 'function', name: 'add', args: [1.5, 2] }))).message).toMatch(
        /argument 1 of "add" must be a 32-bit integer/,
      );
      expect((await rejects(client.execute(numbers, { kind: 'function', name: 'wide', args: [0.5] }))).kind).toBe(
        'invalid-input',
      );
      const bad = await rejects(client.execute(calc, { kind: 'nonsense' } as never));
      expect(bad.message).toMatch(/unknown request kind "nonsense"/);
      expect((await rejects(client.execute(calc, { kind: 'command' }))).message).toMatch(/no _start export/);
    });

    it('maps each wasm trap to its code', async () => {
      const bytes = await watToWasm(`
        (module (memory 1) (table 1 funcref)
          (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
          (func (export "load") (result i32) (i32.load (i32.const 70000)))
          (func (export "conv") (result i32) (i32.trunc_f64_s (f64.const nan)))
          (func (export "null") (call_indirect (i32.const 0)))
          (func (export "oob_table") (call_indirect (i32.const 5)))
          (func (export "overflow") (result i32) (i32.div_s (i32.const -2147483648) (i32.const -1))))`);
      const traps = await client.load(bytes, { name: 'traps.wasm' });
      const run = (name: string, args: number[] = []) => client.execute(traps, { kind: 'function', name, args });
      expectFailure(await run('div', [0]), 'integer-divide-by-zero', 'trap');
      expectFailure(await run('load'), 'memory-out-of-bounds', 'trap');
      expectFailure(await run('conv'), 'bad-conversion-to-integer', 'trap');
      expectFailure(await run('null'), 'indirect-call-to-null', 'trap');
      expectFailure(await run('oob_table'), 'table-out-of-bounds', 'trap');
      expectFailure(await run('overflow'), 'integer-overflow', 'trap');
      expect((await run('div', [2])).returnValue).toEqual([0]);
    });
  });

  describe('JSON calls (the plugin protocol)', () => {
    it('round-trips JSON through (ptr, len) results and through one packed i64', async () => {
      const h = await load('guest-json.wasm');
      const input = { text: 'héllo', list: [1, 2, { deep: null }] };
      for (const name of ['echo', 'echo_packed']) {
        const r = await client.execute(h, { kind: 'json', name, input });
        expect(r.success).toBe(true);
        expect(r.returnValue).toEqual(input);
      }
    });

    it('runs a plugin built by a guest toolchain (AssemblyScript)', async () => {
      const r = await client.execute(await load('plugin.wasm'), {
        kind: 'json',
        name: 'analyze',
        input: { a: 'x', b: ['y', 'z'] },
      });
      expect(r.returnValue).toEqual({ bytes: 23, lines: 1, strings: 5 });
    });

    it('fails clearly on malformed output, out-of-bounds pointers and traps; the next call works', async () => {
      const h = await load('guest-json.wasm');
      const bad = await client.execute(h, { kind: 'json', name: 'bad_json', input: {} });
      expectFailure(bad, 'protocol-error', 'trap');
      expect(bad.error?.message).toMatch(/malformed JSON/);
      const oob = await client.execute(h, { kind: 'json', name: 'oob', input: {} });
      expectFailure(oob, 'protocol-error', 'trap');
      expect(oob.error?.message).toMatch(/outside the guest's 65536-byte memory/);
      expectFailure(await client.execute(h, { kind: 'json', name: 'trap', input: {} }), 'unreachable', 'trap');
      expect((await client.execute(h, { kind: 'json', name: 'echo', input: [1] })).returnValue).toEqual([1]);
    });

    it('refuses exports that do not follow the protocol and input that is not JSON', async () => {
      const calc = await load('calc.wasm');
      expect((await rejects(client.execute(calc, { kind: 'json', name: 'add', input: {} }))).message).toMatch(
        /no exported function "alloc"/,
      );
      const h = await load('guest-json.wasm');
      expect((await rejects(client.execute(h, { kind: 'json', name: 'alloc', input: {} }))).message).toMatch(
        /does not follow the JSON call protocol/,
      );
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect((await rejects(client.execute(h, { kind: 'json', name: 'echo', input: cyclic }))).message).toMatch(
        /cannot be serialized/,
      );
      expect((await rejects(client.execute(h, { kind: 'json', name: 'echo', input: () => 1 }))).message).toMatch(
        /a function is not JSON/,
      );
    });
  });

  describe('limits: each stops the guest with its own code, and the next run works', () => {
    it('fuel: an endless loop runs out, deterministically, in a worker and in-thread', async () => {
      const h = await load('guest-loop.wasm', { fuel: 200_000 });
      expect(h.metered).toBe(true);
      for (const isolation of ['worker', 'in-thread'] as const) {
        const r = await client.execute(h, { kind: 'command', isolation });
        expectFailure(r, 'out-of-fuel', 'limit-exceeded');
        expect(r.fuelConsumed).toBe(200_000);
      }
      const less = await client.execute(h, { kind: 'command', limits: { fuel: 5000 }, isolation: 'in-thread' });
      expect(less.fuelConsumed).toBe(5000);
      await stillHealthy();
    });

    it('fuel: the same module and input consume the same fuel on every run', async () => {
      const h = await load('guest-echo.wasm', { fuel: 10_000_000 });
      const runs = await Promise.all(
        [1, 2, 3].map(() =>
          client.execute(h, { kind: 'command', args: ['same'], stdin: 'input\n', isolation: 'in-thread' }),
        ),
      );
      const spent = runs.map((r) => r.fuelConsumed);
      expect(spent[0]).toBeGreaterThan(0);
      expect(new Set(spent).size).toBe(1);
      const worker = await client.execute(h, { kind: 'command', args: ['same'], stdin: 'input\n' });
      expect(worker.fuelConsumed).toBe(spent[0]);
      const more = await client.execute(h, {
        kind: 'command',
        args: ['same', 'more'],
        stdin: 'input\n',
        isolation: 'in-thread',
      });
      expect(more.fuelConsumed).toBeGreaterThan(spent[0] as number);
    });

    it('fuel: setting it on an unmetered module, or running in-thread without it, is refused', async () => {
      const h = await load('hello-wasi.wasm');
      expect((await rejects(client.execute(h, { kind: 'command', limits: { fuel: 10 } }))).message).toMatch(
        /loaded without a fuel limit/,
      );
      expect((await rejects(client.execute(h, { kind: 'command', isolation: 'in-thread' }))).message).toMatch(
        /in-thread execution needs a fuel limit/,
      );
    });

    it('memory: growth past the cap returns -1 to the guest, which carries on', async () => {
      const h = await load('guest-grow.wasm', { maxMemoryBytes: 8 * PAGE });
      expect(h.maxMemoryBytes).toBe(8 * PAGE);
      const r = await client.execute(h, { kind: 'command' });
      expect(r.success).toBe(true);
      expect(text(r.stdout)).toBe('grow refused\n');
      expect(r.memoryUsedBytes).toBe(8 * PAGE);
      expect(r.memoryGrowFailures).toBe(1);
      const grow = await client.execute(h, { kind: 'function', name: 'grow', args: [100] });
      expect(grow.returnValue).toEqual([-1]);
      expect(grow.memoryUsedBytes).toBe(PAGE);
      expect(grow.memoryGrowFailures).toBe(1);
      await stillHealthy();
    });

    it('memory: a module whose minimum exceeds the cap fails at load', async () => {
      const bytes = await watToWasm('(module (memory 10) (func (export "f")))');
      const e = await rejects(client.load(bytes, { limits: { maxMemoryBytes: 4 * PAGE } }));
      expect(e.kind).toBe('limit-exceeded');
      expect(e.code).toBe('memory-limit');
      expect(e.message).toMatch(/starts at 10 pages .* over the cap of 4 pages/);
    });

    it('memory: an imported memory is created with the cap (js); refused at load with a reason (wasmtime)', async () => {
      const bytes = await watToWasm(`
        (module (import "env" "memory" (memory 1 1000))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
      if (engine === 'wasmtime') {
        const e = await rejects(client.load(bytes, { limits: { maxMemoryBytes: 3 * PAGE } }));
        expect(e.kind).toBe('link');
        expect(e.message).toMatch(/env\.memory \(memory; imported memories link on the js engine only\)/);
        return;
      }
      const h = await client.load(bytes, { limits: { maxMemoryBytes: 3 * PAGE } });
      expect((await client.execute(h, { kind: 'function', name: 'grow', args: [2] })).returnValue).toEqual([1]);
      const r = await client.execute(h, { kind: 'function', name: 'grow', args: [3] });
      expect(r.returnValue).toEqual([-1]);
      expect(r.memoryUsedBytes).toBe(PAGE);
    });

    it('timeout: an endless loop in a worker is stopped at the deadline', async () => {
      const h = await load('guest-loop.wasm');
      const started = performance.now();
      const r = await client.execute(h, { kind: 'command', limits: { maxExecutionTimeMs: 200 } });
      expectFailure(r, 'timeout', 'limit-exceeded');
      expect(performance.now() - started).toBeLessThan(10_000);
      await stillHealthy();
    });

    it('cancellation through an AbortSignal stops the worker', async () => {
      const h = await load('guest-loop.wasm');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const r = await client.execute(h, { kind: 'command', signal: controller.signal });
      expectFailure(r, 'cancelled', 'trap');
      await stillHealthy();
    });

    it('output: endless output stops at the cap, keeping what fit', async () => {
      const h = await load('guest-spam.wasm');
      for (const isolation of ['worker'] as const) {
        const r = await client.execute(h, { kind: 'command', limits: { maxOutputBytes: 1000 }, isolation });
        expectFailure(r, 'output-limit', 'limit-exceeded');
        expect(r.stdout.length).toBe(1000);
        expect(text(r.stdout).startsWith('spam spam spam\n')).toBe(true);
      }
      await stillHealthy();
    });

    it('stack: endless recursion is reported as stack-overflow, in a worker and in-thread', async () => {
      const h = await load('guest-recurse.wasm', { fuel: 1e12 });
      expectFailure(await client.execute(h, { kind: 'command' }), 'stack-overflow', 'limit-exceeded');
      expectFailure(
        await client.execute(h, { kind: 'command', isolation: 'in-thread' }),
        'stack-overflow',
        'limit-exceeded',
      );
      await stillHealthy();
    });

    it('rejects nonsense limits', async () => {
      const h = await load('hello-wasi.wasm');
      expect(
        (await rejects(client.execute(h, { kind: 'command', limits: { maxExecutionTimeMs: 0 } }))).message,
      ).toMatch(/time limit/);
      expect((await rejects(client.execute(h, { kind: 'command', limits: { maxOutputBytes: -1 } }))).message).toMatch(
        /output limit/,
      );
      expect((await rejects(client.load(fixturePath('calc.wasm'), { limits: { fuel: -5 } }))).message).toMatch(
        /fuel must be a positive integer/,
      );
    });
  });

  describe('permissions: nothing unless granted', () => {
    const data = join(scratch, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'note.txt'), 'granted file\n');
    writeFileSync(join(scratch, 'secret.txt'), 'outside the grant\n');
    symlinkSync(join(scratch, 'secret.txt'), join(data, 'link-out'));
    const grant = (readOnly: boolean): ComponentPermissions => ({
      ...ComponentPermissions.none(),
      allowFs: true,
      allowedPaths: [{ hostPath: data, guestPath: '/data', readOnly }],
    });

    it('env: no host variable reaches the guest unless granted, then only matching ones', async () => {
      const h = await load('guest-echo.wasm');
      const none = await client.execute(h, { kind: 'command' });
      expect(text(none.stdout)).toBe('guest-echo.wasm\n');
      const granted = await client.execute(h, {
        kind: 'command',
        permissions: { ...ComponentPermissions.none(), allowEnv: true, allowedEnvVars: ['APP_*'] },
      });
      expect(text(granted.stdout)).toBe('guest-echo.wasm\nAPP_MODE=test\nAPP_NAME=portalis\n');
      expect(text(granted.stdout)).not.toContain('hunter2');
    });

    it('fs: no directory without a grant; a granted one reads', async () => {
      const h = await load('guest-fs.wasm');
      const denied = await client.execute(h, { kind: 'command', args: ['read', 'note.txt'] });
      expect(denied.exitCode).toBe(8); // EBADF: there is no fd 3
      const r = await client.execute(h, { kind: 'command', args: ['read', 'note.txt'], permissions: grant(true) });
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe('granted file\n');
    });

    it('fs: read-only refuses writes; read-write writes', async () => {
      const h = await load('guest-fs.wasm');
      const ro = await client.execute(h, {
        kind: 'command',
        args: ['write', 'new.txt'],
        stdin: 'x',
        permissions: grant(true),
      });
      expect([63, 76]).toContain(ro.exitCode); // EPERM / ENOTCAPABLE
      expect(readdirSync(data)).not.toContain('new.txt');
      const rw = await client.execute(h, {
        kind: 'command',
        args: ['write', 'new.txt'],
        stdin: 'written',
        permissions: grant(false),
      });
      expect(rw.exitCode).toBe(0);
      expect(readFileSync(join(data, 'new.txt'), 'utf8')).toBe('written');
    });

    it('fs: escapes through .., absolute paths and symlinks are refused', async () => {
      const h = await load('guest-fs.wasm');
      for (const path of ['../secret.txt', '/etc/passwd', 'link-out', '../../../../etc/passwd']) {
        const r = await client.execute(h, { kind: 'command', args: ['read', path], permissions: grant(false) });
        expect(r.exitCode, path).not.toBe(0);
        expect(text(r.stdout)).not.toContain('outside the grant');
      }
    });

    it('a grant of a directory that does not exist is refused before running', async () => {
      const h = await load('guest-fs.wasm');
      const permissions = {
        ...grant(true),
        allowedPaths: [{ hostPath: join(scratch, 'missing'), guestPath: '/x', readOnly: true }],
      };
      expect((await rejects(client.execute(h, { kind: 'command', args: ['read', 'a'], permissions }))).message).toMatch(
        /does not exist or is not a directory/,
      );
    });
  });

  describe('determinism', () => {
    it('a deterministic run prints the same random bytes and clock on every run; a normal run does not', async () => {
      const h = await load('guest-entropy.wasm');
      const det = await Promise.all(
        [1, 2].map(() => client.execute(h, { kind: 'command', deterministic: { seed: 7 } })),
      );
      expect(text(det[0]?.stdout as Uint8Array)).toBe(text(det[1]?.stdout as Uint8Array));
      expect(text(det[0]?.stdout as Uint8Array)).toMatch(/^[0-9a-f]{32}\n$/);
      const real = await Promise.all([1, 2].map(() => client.execute(h, { kind: 'command' })));
      expect(text(real[0]?.stdout as Uint8Array)).not.toBe(text(real[1]?.stdout as Uint8Array));
    });
  });

  describe('streaming events', () => {
    it('streams no more output than the cap', async () => {
      const h = await load('guest-spam.wasm');
      const events = await firstValueFrom(
        client.executeStream(h, { kind: 'command', limits: { maxOutputBytes: 1000 } }).pipe(toArray()),
      );
      const streamed = events
        .filter((e) => e.type === 'stdout')
        .reduce((n, e) => n + (e as { chunk: Uint8Array }).chunk.length, 0);
      expect(streamed).toBe(1000);
      expect((events.at(-1) as { result: ExecutionResult }).result.trap).toBe('output-limit');
    });

    it('emits started, the output chunks in order, then exited', async () => {
      const h = await load('guest-echo.wasm');
      const events: ExecutionEvent[] = await firstValueFrom(
        client.executeStream(h, { kind: 'command', args: ['a', 'b'] }).pipe(toArray()),
      );
      expect(events[0]?.type).toBe('started');
      const last = events.at(-1);
      expect(last?.type).toBe('exited');
      const chunks = events.filter((e) => e.type === 'stdout').map((e) => text((e as { chunk: Uint8Array }).chunk));
      expect(chunks.join('')).toBe('guest-echo.wasm\na\nb\n');
      expect(text((last as { result: ExecutionResult }).result.stdout)).toBe(chunks.join(''));
    });

    it('unsubscribing cancels the execution', async () => {
      const h = await load('guest-spam.wasm');
      let chunks = 0;
      await new Promise<void>((resolve) => {
        const sub = client.executeStream(h, { kind: 'command', limits: { maxOutputBytes: 1e9 } }).subscribe((e) => {
          if (e.type === 'stdout' && ++chunks === 50) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
      expect(chunks).toBe(50);
      await stillHealthy();
    });
  });

  describe('load and the caches', () => {
    it('a second load of the same bytes and limits comes from memory; other limits compile again', async () => {
      const bytes = fixtureBytes('calc.wasm');
      const first = await client.load(bytes, { limits: { maxMemoryBytes: 3 * PAGE } });
      const second = await client.load(bytes, { limits: { maxMemoryBytes: 3 * PAGE } });
      expect(second.source).toBe('memory');
      expect(second.id).not.toBe(first.id);
      expect(second.digest).toBe(first.digest);
      const other = await client.load(bytes, { limits: { maxMemoryBytes: 5 * PAGE } });
      expect(other.source).toBe('compile');
    });

    it('the disk cache serves a new client, and a damaged entry is rebuilt, never trusted', async () => {
      const cacheDir = join(scratch, 'cache');
      const a = new WassetteClient({ engine, cacheDir });
      const b = new WassetteClient({ engine, cacheDir });
      const c = new WassetteClient({ engine, cacheDir });
      try {
        expect((await a.load(fixturePath('calc.wasm'), { limits: { fuel: 1000 } })).source).toBe('compile');
        const fromDisk = await b.load(fixturePath('calc.wasm'), { limits: { fuel: 1000 } });
        expect(fromDisk.source).toBe('disk');
        expect((await b.execute(fromDisk, { kind: 'function', name: 'mul', args: [6, 7] })).returnValue).toEqual([42]);
        // The js engine caches instrumented modules (.wasm), wasmtime its compiled code (.cwasm).
        const damaged = readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((n) => /\.c?wasm$/.test(n));
        expect(damaged.length).toBeGreaterThan(0);
        for (const f of damaged) writeFileSync(join(cacheDir, f), 'garbage');
        const rebuilt = await c.load(fixturePath('calc.wasm'), { limits: { fuel: 1000 } });
        expect(rebuilt.source).toBe('compile');
        expect((await c.execute(rebuilt, { kind: 'function', name: 'mul', args: [6, 7] })).returnValue).toEqual([42]);
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    });

    it('bad modules fail at load with the right kind and a clear message', async () => {
      expect((await rejects(client.load(join(scratch, 'nope.wasm')))).message).toMatch(
        /cannot read .*nope\.wasm: no such file/,
      );
      expect((await rejects(client.load(scratch))).message).toMatch(/is a directory/);
      const invalid = await rejects(client.load(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5])));
      expect(invalid.kind).toBe('validation');
      const link = await rejects(
        client.load(await watToWasm('(module (import "env" "host" (func)) (func (export "f")))')),
      );
      expect(link.kind).toBe('link');
      expect(link.message).toMatch(/imports env\.host \(func\)/);
      const wrongWasi = await watToWasm(
        '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (memory (export "memory") 1))',
      );
      expect((await rejects(client.load(wrongWasi))).message).toMatch(/fd_write has type \(func \(param i32\)\)/);
      if (engine === 'js') {
        const component = await rejects(client.load(fixturePath('greeter.component.wasm')));
        expect(component.kind).toBe('invalid-input');
        expect(component.message).toMatch(/is a component; the js engine runs core modules only/);
      }
    });

    it('a handle from another client is refused', async () => {
      const other = new WassetteClient({ engine });
      const h = await other.load(fixturePath('calc.wasm'));
      await other.close();
      expect((await rejects(client.execute(h, { kind: 'function', name: 'calls' }))).message).toMatch(
        /not loaded by this client/,
      );
    });
  });

  it('runs many executions at once, each isolated', async () => {
    const h = await load('guest-echo.wasm');
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => client.execute(h, { kind: 'command', args: [`run-${i}`] })),
    );
    for (const [i, r] of results.entries()) expect(text(r.stdout)).toBe(`guest-echo.wasm\nrun-${i}\n`);
  });
});

// Both engines meter core modules with the same instrumentation, so their fuel is the same
// number. Without the addon there is one engine and nothing to compare; CI builds the addon and
// sets PORTALIS_REQUIRE_NATIVE=1, which makes select-engine.test.ts fail if it is missing.
describe.runIf(engines.includes('wasmtime'))('fuel units across engines', () => {
  const clients: Record<string, WassetteClient> = {};
  beforeAll(() => {
    clients.js = new WassetteClient({ engine: 'js' });
    clients.wasmtime = new WassetteClient({ engine: 'wasmtime' });
  });
  afterAll(async () => {
    await Promise.all(Object.values(clients).map((c) => c.close()));
  });

  async function spentOnEach(input: string | Uint8Array, request: ExecutionRequest, fuel = 1e12) {
    const spent: Record<string, number | undefined> = {};
    for (const [name, c] of Object.entries(clients)) {
      const h = await c.load(typeof input === 'string' ? fixturePath(input) : input, { limits: { fuel } });
      const r = await c.execute(h, request);
      spent[name] = r.fuelConsumed;
      if (r.trap !== 'out-of-fuel') expect(r.success, `${name}: ${r.error?.message}`).toBe(true);
      else expect(r.fuelConsumed).toBe(fuel);
    }
    return spent;
  }

  it('one unit per instruction of each region entered, on both engines', async () => {
    // Entry: loop + end = 2; the loop: 9 instructions, 1000 times.
    const count = await watToWasm(`(module (memory (export "memory") 1)
      (func (export "_start") (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))))`);
    expect(await spentOnEach(count, { kind: 'command' })).toEqual({ js: 9002, wasmtime: 9002 });
  });

  it('the same fuel for commands, calls, JSON calls, memory growth and running out', async () => {
    const cases: [string, ExecutionRequest, number?][] = [
      ['guest-echo.wasm', { kind: 'command', args: ['a', 'b'], stdin: 'input\n' }],
      ['calc.wasm', { kind: 'function', name: 'add', args: [2, 3] }],
      ['guest-json.wasm', { kind: 'json', name: 'echo', input: { hello: 'world', n: [1, 2, 3] } }],
      ['guest-grow.wasm', { kind: 'command' }],
      ['guest-loop.wasm', { kind: 'command' }, 123_457],
      // AssemblyScript output: its runtime, a matrix product and a checksum.
      ['kernel.wasm', { kind: 'function', name: 'matmul', args: [2] }],
      ['kernel.wasm', { kind: 'function', name: 'checksum', args: [4096, 3] }],
    ];
    for (const [file, request, fuel] of cases) {
      const spent = await spentOnEach(file, request, fuel);
      expect(spent.js, file).toBeGreaterThan(0);
      expect(spent.wasmtime, file).toBe(spent.js);
    }
  });
});

describe("the js engine's memory pool", () => {
  const WAT = `(module
    (memory (export "memory") 3 5)
    (data (i32.const 8) "abc")
    (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

  it('is off unless PORTALIS_JS_MEMORY_POOL=1', async () => {
    const client = new WassetteClient({ engine: 'js' });
    try {
      delete process.env.PORTALIS_JS_MEMORY_POOL;
      const h = await client.load(await watToWasm(WAT.replace('3 5', '3 6')), { limits: { fuel: 1e6 } });
      const r = await client.execute(h, { kind: 'function', name: 'poke', args: [0, 1], isolation: 'in-thread' });
      expect(r.success).toBe(true);
      expect(pooledMemories(3, 6)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('gives each run a kept memory, zeroed before it is kept, and never keeps a grown one', async () => {
    const client = new WassetteClient({ engine: 'js' });
    process.env.PORTALIS_JS_MEMORY_POOL = '1';
    try {
      const h = await client.load(await watToWasm(WAT), { name: 'pool.wasm', limits: { fuel: 1e6 } });
      const run = (name: string, args: number[]) =>
        client.execute(h, { kind: 'function', name, args, isolation: 'in-thread' });
      expect((await run('poke', [100, 99])).success).toBe(true);
      const kept = pooledMemories(3, 5);
      expect(kept).toHaveLength(1);
      const memory = kept[0] as WebAssembly.Memory;
      // Nothing of the run stays in the host: neither what it wrote nor the data segment.
      expect(new Uint8Array(memory.buffer).some((b) => b !== 0)).toBe(false);
      expect((await run('poke', [101, 1])).success).toBe(true);
      expect(pooledMemories(3, 5)).toEqual([memory]);
      // A run that grows its memory takes the kept one and does not give it back.
      expect((await run('grow', [1])).returnValue).toEqual([3]);
      expect(pooledMemories(3, 5)).toEqual([]);
      expect(memory.buffer.byteLength).toBe(4 * 65536);
      expect((await run('poke', [0, 1])).success).toBe(true);
      expect(pooledMemories(3, 5)).toHaveLength(1);
      expect(pooledMemories(3, 5)[0]).not.toBe(memory);
    } finally {
      delete process.env.PORTALIS_JS_MEMORY_POOL;
      await client.close();
    }
  });

  it('leaves a memory the module imports itself to the module', async () => {
    const client = new WassetteClient({ engine: 'js' });
    process.env.PORTALIS_JS_MEMORY_POOL = '1';
    try {
      const bytes = await watToWasm(
        '(module (import "env" "memory" (memory 6 7)) (func (export "size") (result i32) (memory.size)))',
      );
      const h = await client.load(bytes, { name: 'imports-memory.wasm', limits: { fuel: 1e6 } });
      const r = await client.execute(h, { kind: 'function', name: 'size', isolation: 'in-thread' });
      expect(r.returnValue).toEqual([6]);
      expect(pooledMemories(6, 7)).toEqual([]);
    } finally {
      delete process.env.PORTALIS_JS_MEMORY_POOL;
      await client.close();
    }
  });
});

describe('configuration of execution', () => {
  it('a disabled client still validates but refuses to load', async () => {
    const c = new WassetteClient({ enabled: false });
    expect((await c.validate(fixturePath('calc.wasm'))).isValid).toBe(true);
    expect((await rejects(c.load(fixturePath('calc.wasm')))).message).toMatch(/execution is disabled/);
  });

  it('with the sandbox off, a request without permissions gets the host env', async () => {
    const c = new WassetteClient({ enableSandbox: false, hostEnv: { ONLY: 'this' } });
    try {
      const r = await c.execute(await c.load(fixturePath('guest-echo.wasm')), { kind: 'command' });
      expect(text(r.stdout)).toBe('guest-echo.wasm\nONLY=this\n');
    } finally {
      await c.close();
    }
  });

  it('client permissions apply to requests that name none', async () => {
    const c = new WassetteClient({
      permissions: { ...ComponentPermissions.none(), allowEnv: true, allowedEnvVars: ['KEEP'] },
      hostEnv: { KEEP: '1', DROP: '2' },
    });
    try {
      const r = await c.execute(await c.load(fixturePath('guest-echo.wasm')), { kind: 'command' });
      expect(text(r.stdout)).toBe('guest-echo.wasm\nKEEP=1\n');
    } finally {
      await c.close();
    }
  });

  it('writes one audit line per execution and counts executions and validations by outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portalis-audit-'));
    const auditLog = join(dir, 'logs', 'audit.jsonl');
    const registry = new Registry();
    const c = new WassetteClient({ auditLog, metrics: registry });
    try {
      const echo = await c.load(fixturePath('guest-echo.wasm'));
      await c.execute(echo, { kind: 'command', args: ['x'], env: { SECRET: 'do-not-log' } });
      const loop = await c.load(fixturePath('guest-loop.wasm'), { limits: { fuel: 1000 } });
      await c.execute(loop, { kind: 'command', isolation: 'in-thread' });
      const lines = readFileSync(auditLog, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines.join('')).not.toContain('do-not-log');
      const [ok, fuel] = lines.map((l) => JSON.parse(l));
      expect(ok.module).toEqual({ name: 'guest-echo.wasm', digest: echo.digest });
      expect(ok.outcome).toBe('success');
      expect(ok.engine).toBe('js');
      expect(ok.output.stdoutSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(fuel.outcome).toBe('limit');
      expect(fuel.trap).toBe('out-of-fuel');
      expect(fuel.fuelConsumed).toBe(1000);
      expect(fuel.isolation).toBe('in-thread');
      const executions = await registry.getSingleMetricAsString('portalis_wassette_executions_total');
      expect(executions).toMatch(/outcome="success"[^\n]*} 1/);
      expect(executions).toMatch(/outcome="limit"[^\n]*} 1/);
      const validations = await registry.getSingleMetricAsString('portalis_wassette_validations_total');
      expect(validations).toMatch(/result="valid"} 2/);
    } finally {
      await c.close();
    }
  });
});
