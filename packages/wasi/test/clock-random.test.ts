import { describe, expect, it } from 'vitest';
import { Clockid, Errno } from '../src/index.js';
import { makeGuest, runCommand } from './helpers.js';

describe('clock_res_get', () => {
  it('answers for the four clocks and INVAL for others', async () => {
    const g = await makeGuest();
    for (const id of [0, 1, 2, 3]) {
      expect(g.call.clock_res_get(id, 0)).toBe(0);
      expect(g.u64(0)).toBeGreaterThan(0n);
    }
    expect(g.call.clock_res_get(4, 0)).toBe(Errno.INVAL);
  });

  it('is 1 ns in deterministic mode', async () => {
    const g = await makeGuest({ deterministic: true });
    expect(g.call.clock_res_get(Clockid.MONOTONIC, 0)).toBe(0);
    expect(g.u64(0)).toBe(1n);
  });
});

describe('clock_time_get', () => {
  it('realtime is the wall clock in nanoseconds; monotonic never goes back', async () => {
    const g = await makeGuest();
    const before = BigInt(Date.now()) * 1_000_000n;
    expect(g.call.clock_time_get(Clockid.REALTIME, 1n, 0)).toBe(0);
    const now = g.u64(0);
    expect(now >= before - 1_000_000n && now <= BigInt(Date.now() + 1) * 1_000_000n).toBe(true);
    let last = 0n;
    for (let i = 0; i < 50; i++) {
      expect(g.call.clock_time_get(Clockid.MONOTONIC, 1n, 0)).toBe(0);
      expect(g.u64(0) >= last).toBe(true);
      last = g.u64(0);
    }
    expect(g.call.clock_time_get(Clockid.PROCESS_CPUTIME_ID, 1n, 0)).toBe(0);
    expect(g.call.clock_time_get(9, 1n, 0)).toBe(Errno.INVAL);
  });

  it('deterministic: fixed start, frozen until the guest sleeps, optional tick per read', async () => {
    const g = await makeGuest({ deterministic: { startTimeNs: 1_700_000_000_000_000_000n } });
    g.call.clock_time_get(Clockid.REALTIME, 0n, 0);
    expect(g.u64(0)).toBe(1_700_000_000_000_000_000n);
    g.call.clock_time_get(Clockid.MONOTONIC, 0n, 0);
    expect(g.u64(0)).toBe(0n);
    g.call.clock_time_get(Clockid.MONOTONIC, 0n, 0);
    expect(g.u64(0)).toBe(0n);
    const ticking = await makeGuest({ deterministic: { tickNs: 10n } });
    ticking.call.clock_time_get(Clockid.MONOTONIC, 0n, 0);
    ticking.call.clock_time_get(Clockid.MONOTONIC, 0n, 0);
    expect(ticking.u64(0)).toBe(20n);
  });
});

describe('random_get', () => {
  it('fills the buffer (large requests too)', async () => {
    const g = await makeGuest();
    const p = g.alloc(100_000);
    expect(g.call.random_get(p, 100_000)).toBe(0);
    const bytes = g.bytes(p, 100_000);
    expect(new Set(bytes).size).toBeGreaterThan(200);
    expect(g.call.random_get(p, 0)).toBe(0);
  });

  it('is reproducible with a seed and differs between seeds', async () => {
    const draw = async (seed: number) => {
      const g = await makeGuest({ deterministic: { seed } });
      g.call.random_get(2048, 37);
      return g.bytes(2048, 37);
    };
    expect(await draw(7)).toEqual(await draw(7));
    expect(await draw(7)).not.toEqual(await draw(8));
  });
});

describe('deterministic mode', () => {
  // Prints 16 random bytes and the realtime clock (raw bytes), sleeps 1 s, prints the clock again.
  const GUEST = `(module
    (import "wasi_snapshot_preview1" "random_get" (func $rand (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (drop (call $rand (i32.const 100) (i32.const 16)))
      (drop (call $now (i32.const 0) (i64.const 0) (i32.const 116)))
      ;; one relative clock subscription of 1e9 ns on the monotonic clock
      (i64.store (i32.const 200) (i64.const 1))
      (i32.store8 (i32.const 208) (i32.const 0))
      (i32.store (i32.const 216) (i32.const 1))
      (i64.store (i32.const 224) (i64.const 1000000000))
      (drop (call $poll (i32.const 200) (i32.const 300) (i32.const 1) (i32.const 400)))
      (drop (call $now (i32.const 0) (i64.const 0) (i32.const 124)))
      (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 32))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

  it('gives byte-identical output for the same seed and start time; sleeping moves the clock exactly', async () => {
    const opts = { deterministic: { seed: 42, startTimeNs: 5_000_000_000n } };
    const a = await runCommand(GUEST, opts);
    const b = await runCommand(GUEST, opts);
    expect(a.host.stdout.bytes).toEqual(b.host.stdout.bytes);
    const v = new DataView(a.host.stdout.bytes.buffer);
    expect(v.getBigUint64(16, true)).toBe(5_000_000_000n);
    expect(v.getBigUint64(24, true)).toBe(6_000_000_000n);
  });
});
