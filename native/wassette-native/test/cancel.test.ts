import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { call, compileWat, describeNative, NUMBERS_WAT, newEngine, plan } from './helpers.ts';

const LONG = { ...plan().limits, timeoutMs: 30_000 };

describeNative('cancelling through an AbortSignal', () => {
  it('stops a guest that is already running, and the next run works', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const controller = new AbortController();
    const running = engine.run(module, call('spin', [], { limits: LONG }), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const abortedAt = performance.now();
    controller.abort();
    const outcome = await running;
    const latency = performance.now() - abortedAt;
    expect(outcome.trap).toBe('cancelled');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(90);
    // The epoch ticker checks the flag every millisecond; the rest is the Promise settling.
    expect(latency).toBeLessThan(100);
    const next = await engine.run(
      module,
      call('add32', [
        { type: 'i32', value: 40 },
        { type: 'i32', value: 2 },
      ]),
    );
    expect(next.returns).toEqual([42]);
  });

  it('with a signal aborted before the call, ends cancelled without running', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const started = performance.now();
    const outcome = await engine.run(module, call('spin', [], { limits: LONG }), AbortSignal.abort());
    expect(outcome.trap).toBe('cancelled');
    expect(outcome.elapsedMs).toBe(0);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('leaves runs whose signal never fires alone, and one signal can serve many runs', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const done = await engine.run(module, call('count', [{ type: 'i32', value: 10 }]), controller.signal);
      expect(done.returns).toEqual([10]);
    }
    // Each run removed its listener when it settled.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const spinning = [0, 1, 2].map(() => engine.run(module, call('spin', [], { limits: LONG }), controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    for (const outcome of await Promise.all(spinning)) expect(outcome.trap).toBe('cancelled');
  });

  it('cancels a run still waiting for a pool thread', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, NUMBERS_WAT);
    const controller = new AbortController();
    // More runs than libuv has threads (4 by default), so some wait in the queue.
    const runs = Array.from({ length: 8 }, () =>
      engine.run(module, call('spin', [], { limits: LONG }), controller.signal),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const outcomes = await Promise.all(runs);
    expect(outcomes.map((o) => o.trap)).toEqual(Array(8).fill('cancelled'));
  });
});
