import { availableParallelism } from 'node:os';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { TestSpec } from '../src/index.js';
import { createLimiter, TestAgent } from '../src/index.js';
import { fixturePath, quietClient } from './helpers.js';

const client = quietClient();
afterAll(() => client.close());
afterEach(() => {
  vi.restoreAllMocks();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Eight passing command tests, each printing its own number. */
const eight: TestSpec = {
  tests: Array.from({ length: 8 }, (_, i) => ({
    name: `t${i}`,
    args: [`${i}`],
    expect: { stdout: { contains: `${i}\n` } },
  })),
};

/** Counts executions in flight through a spy on the client, each held 40 ms so that they overlap. */
function watchExecutions(): { peak: () => number; calls: () => number } {
  const original = client.execute.bind(client);
  let active = 0;
  let peak = 0;
  let calls = 0;
  vi.spyOn(client, 'execute').mockImplementation(async (handle, request) => {
    active++;
    calls++;
    peak = Math.max(peak, active);
    try {
      await sleep(40);
      return await original(handle, request);
    } finally {
      active--;
    }
  });
  return { peak: () => peak, calls: () => calls };
}

describe('concurrency', () => {
  it('runs up to the limit at once and never more, with results in declaration order', async () => {
    const watch = watchExecutions();
    let inFlight = 0;
    let peakStarted = 0;
    const summary = await new TestAgent({ client, concurrency: 3 }).run(fixturePath('guest-echo.wasm'), eight, {
      onEvent: (e) => {
        inFlight += e.type === 'start' ? 1 : -1;
        peakStarted = Math.max(peakStarted, inFlight);
      },
    });
    expect(summary).toMatchObject({ total: 8, passed: 8 });
    expect(summary.results.map((r) => r.name)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    expect(watch.calls()).toBe(8);
    expect(watch.peak()).toBe(3);
    expect(peakStarted).toBe(3);
  });

  it('runs one at a time with concurrency 1', async () => {
    const watch = watchExecutions();
    const order: string[] = [];
    await new TestAgent({ client, concurrency: 1 }).run(fixturePath('guest-echo.wasm'), eight, {
      onEvent: (e) => order.push(e.type === 'start' ? `start ${e.name}` : `end ${e.result.name}`),
    });
    expect(watch.peak()).toBe(1);
    expect(order.slice(0, 4)).toEqual(['start t0', 'end t0', 'start t1', 'end t1']);
  });

  it('defaults to the number of CPUs', () => {
    expect(new TestAgent({ client }).concurrency).toBe(availableParallelism());
  });

  it('finishes faster in parallel than one at a time', async () => {
    watchExecutions();
    const t0 = performance.now();
    await new TestAgent({ client, concurrency: 1 }).run(fixturePath('guest-echo.wasm'), eight);
    const serial = performance.now() - t0;
    const t1 = performance.now();
    await new TestAgent({ client, concurrency: 8 }).run(fixturePath('guest-echo.wasm'), eight);
    const parallel = performance.now() - t1;
    // Eight 40 ms holds: about 320 ms one at a time, about 40 ms all at once.
    expect(serial).toBeGreaterThanOrEqual(320);
    expect(parallel).toBeLessThan(serial * 0.75);
  });
});

describe('createLimiter', () => {
  it('hands a finishing slot to the next waiter, so no newcomer gets past the limit', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await sleep(5);
      active--;
    };
    const first = Array.from({ length: 5 }, () => limit(task));
    await sleep(7);
    // Join while slots are being handed over.
    const late = Array.from({ length: 5 }, () => limit(task));
    await Promise.all([...first, ...late]);
    expect(peak).toBe(2);
  });

  it('passes results and errors through and frees the slot after an error', async () => {
    const limit = createLimiter(1);
    await expect(limit(async () => 7)).resolves.toBe(7);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'still running')).resolves.toBe('still running');
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(Number.NaN)).toThrow(/at least 1, got NaN/);
  });
});
