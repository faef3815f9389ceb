import { expect, it } from 'vitest';
import {
  CLOCK_WAT,
  call,
  compileWat,
  describeNative,
  ECHO_WAT,
  JSON_WAT,
  NUMBERS_WAT,
  newEngine,
  plan,
} from './helpers.ts';

describeNative('commands', () => {
  it('see exactly the args, env and stdin of the plan', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, ECHO_WAT);
    expect(module.kind).toBe('core');
    expect(module.source).toBe('compile');
    const outcome = await engine.run(
      module,
      plan({
        args: ['echo', 'a b', 'ünï'],
        env: [
          ['GREETING', 'hello'],
          ['EMPTY', ''],
        ],
        stdin: new TextEncoder().encode('from stdin'),
      }),
    );
    expect(outcome.trap).toBeUndefined();
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stdout.toString()).toBe('echo\na b\nünï\nGREETING=hello\nEMPTY=\n');
    expect(outcome.stderr.toString()).toBe('from stdin');
    expect(outcome.outputBytes).toBe(outcome.stdout.length + outcome.stderr.length);
    expect(outcome.memoryUsedBytes).toBe(2 * 65536);
    expect(outcome.chunks).toBe(0);
    expect(outcome.returns).toBeUndefined();
    expect(outcome.elapsedMs).toBeGreaterThan(0);
  });
});

describeNative('function calls', () => {
  it('take and return i32 and i64 (i64 as bigint)', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const run = (fn: string, fnArgs: Parameters<typeof call>[1]) => engine.run(module, call(fn, fnArgs));
    expect(
      (
        await run('add32', [
          { type: 'i32', value: 2 },
          { type: 'i32', value: -5 },
        ])
      ).returns,
    ).toEqual([-3]);
    expect((await run('id32', [{ type: 'i32', value: 0xffffffff }])).returns).toEqual([-1]);
    expect(
      (
        await run('add64', [
          { type: 'i64', value: 2n ** 62n },
          { type: 'i64', value: 7 },
        ])
      ).returns,
    ).toEqual([2n ** 62n + 7n]);
    expect((await run('id64', [{ type: 'i64', value: -(2n ** 63n) }])).returns).toEqual([-(2n ** 63n)]);
    expect((await run('id64', [{ type: 'i64', value: 2n ** 64n - 1n }])).returns).toEqual([-1n]);
  });

  it('keep NaN and Infinity for f32 and f64', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    for (const type of ['f32', 'f64'] as const) {
      const fn = type === 'f32' ? 'idf32' : 'idf64';
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1.5]) {
        const outcome = await engine.run(module, call(fn, [{ type, value }]));
        expect(outcome.returns).toEqual([value]);
      }
    }
    expect((await engine.run(module, call('idf32', [{ type: 'f32', value: 0.1 }]))).returns).toEqual([
      Math.fround(0.1),
    ]);
    expect((await engine.run(module, call('half', [{ type: 'f64', value: 0.3 }]))).returns).toEqual([0.15]);
  });

  it('return several values, or none', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const swapped = await engine.run(
      module,
      call('swap', [
        { type: 'f64', value: 2.5 },
        { type: 'i64', value: 9n },
      ]),
    );
    expect(swapped.returns).toEqual([9n, 2.5]);
    const nothing = await engine.run(module, call('nothing'));
    expect(nothing.returns).toEqual([]);
    expect(nothing.trap).toBeUndefined();
    expect(nothing.exitCode).toBeUndefined();
  });

  it('of a module importing WASI get the deterministic clock as a bigint', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, CLOCK_WAT);
    const start = 1_700_000_000_123_456_789n;
    const outcome = await engine.run(module, call('now', [], { deterministic: { startTimeNs: start, seed: 7 } }));
    const [now] = outcome.returns as [bigint];
    expect(typeof now).toBe('bigint');
    expect(now >= start && now < start + 1_000_000_000n).toBe(true);
  });
});

describeNative('JSON calls', () => {
  it('hand the input to the export and give back its reply bytes', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, JSON_WAT);
    const input = JSON.stringify({ greeting: 'héllo', n: [1, 2, 3] });
    const outcome = await engine.run(
      module,
      plan({ kind: 'json', function: 'echo', jsonInput: new TextEncoder().encode(input) }),
    );
    expect(outcome.trap).toBeUndefined();
    expect(outcome.jsonOutput?.toString()).toBe(input);
    expect(outcome.returns).toBeUndefined();
  });
});

describeNative('traps and limits', () => {
  it('come back in the outcome with their code', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const divided = await engine.run(
      module,
      call('div', [
        { type: 'i32', value: 1 },
        { type: 'i32', value: 0 },
      ]),
    );
    expect(divided.trap).toBe('integer-divide-by-zero');
    expect(divided.message).toBeTruthy();
    expect((await engine.run(module, call('crash'))).trap).toBe('unreachable');
    const deep = await engine.run(module, call('deep', [{ type: 'i32', value: 0 }]));
    expect(deep.trap).toBe('stack-overflow');
  });

  it('stop a loop at its deadline', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const started = performance.now();
    const outcome = await engine.run(module, call('spin', [], { limits: { ...plan().limits, timeoutMs: 100 } }));
    const waited = performance.now() - started;
    expect(outcome.trap).toBe('timeout');
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(2_000);
  });

  it('meter fuel on a metered module', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT, { metered: true });
    expect(module.metered).toBe(true);
    const limits = { ...plan().limits, fuel: 10_000 };
    const spun = await engine.run(module, call('spin', [], { limits }));
    expect(spun.trap).toBe('out-of-fuel');
    expect(spun.fuelConsumed).toBe(10_000);
    const counted = await engine.run(module, call('count', [{ type: 'i32', value: 100 }], { limits }));
    expect(counted.returns).toEqual([100]);
    expect(counted.fuelConsumed).toBeGreaterThan(100);
    expect(counted.fuelConsumed).toBeLessThan(10_000);
    const unmetered = await engine.run(module, call('count', [{ type: 'i32', value: 1 }]));
    expect(unmetered.fuelConsumed).toBeUndefined();
  });

  it('refuse memory growth past the cap and count it', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const limits = { ...plan().limits, maxMemoryBytes: 4 * 65536 };
    const grown = await engine.run(module, call('grow', [{ type: 'i32', value: 2 }], { limits }));
    expect(grown.returns).toEqual([1]);
    expect(grown.memoryUsedBytes).toBe(3 * 65536);
    const refused = await engine.run(module, call('grow', [{ type: 'i32', value: 8 }], { limits }));
    expect(refused.returns).toEqual([-1]);
    expect(refused.memoryGrowFailures).toBe(1);
    const tooSmall = await engine.run(module, call('nothing', [], { limits: { ...limits, maxMemoryBytes: 1024 } }));
    expect(tooSmall.trap).toBe('memory-limit');
  });

  it('stop deep recursion at the largest stack the engine allows', async () => {
    const engine = newEngine({ maxWasmStack: 2 << 20 });
    const module = await compileWat(engine, NUMBERS_WAT);
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => engine.run(module, call('deep', [{ type: 'i32', value: 0 }]))),
    );
    expect(outcomes.map((o) => o.trap)).toEqual(Array(4).fill('stack-overflow'));
  });

  it('leave the engine ready for the next run', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    expect((await engine.run(module, call('crash'))).trap).toBe('unreachable');
    const next = await engine.run(
      module,
      call('add32', [
        { type: 'i32', value: 1 },
        { type: 'i32', value: 1 },
      ]),
    );
    expect(next.returns).toEqual([2]);
  });
});

describeNative('components', () => {
  // The smallest component: the header alone (layer 1), with nothing inside.
  const EMPTY_COMPONENT = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

  it('are told apart from core modules when compiled', async () => {
    const engine = newEngine();
    const component = await engine.compile(EMPTY_COMPONENT, { metered: false });
    expect(component.kind).toBe('component');
  });

  it('run as commands only', async () => {
    const engine = newEngine();
    const component = await engine.compile(EMPTY_COMPONENT, { metered: false });
    const error = await engine.run(component, call('add32')).catch((e: Error & { code?: string }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('invalid');
  });
});
