import { describe, expect, it } from 'vitest';
import { Clockid, Errno, Eventtype, MemoryFs, Signal, WasiExit } from '../src/index.js';
import { type Guest, makeGuest, runCommand } from './helpers.js';

interface Sub {
  userdata: bigint;
  tag: number;
  clock?: { id: number; timeout: bigint; flags?: number };
  fd?: number;
}

function poll(
  g: Guest,
  subs: Sub[],
): { errno: number; events: Array<{ userdata: bigint; error: number; type: number; nbytes: bigint }> } {
  const inPtr = g.alloc(48 * Math.max(1, subs.length));
  const outPtr = g.alloc(32 * Math.max(1, subs.length));
  const nPtr = g.alloc(4);
  const v = g.view();
  subs.forEach((s, i) => {
    const at = inPtr + i * 48;
    v.setBigUint64(at, s.userdata, true);
    v.setUint8(at + 8, s.tag);
    if (s.clock) {
      v.setUint32(at + 16, s.clock.id, true);
      v.setBigUint64(at + 24, s.clock.timeout, true);
      v.setBigUint64(at + 32, 0n, true);
      v.setUint16(at + 40, s.clock.flags ?? 0, true);
    } else v.setUint32(at + 16, s.fd ?? 0, true);
  });
  const errno = g.call.poll_oneoff(inPtr, outPtr, subs.length, nPtr);
  const events = [];
  if (errno === 0) {
    for (let i = 0; i < g.u32(nPtr); i++) {
      const at = outPtr + i * 32;
      events.push({ userdata: g.u64(at), error: g.u16(at + 8), type: g.u8(at + 10), nbytes: g.u64(at + 16) });
    }
  }
  return { errno, events };
}

function now(g: Guest, id: number): bigint {
  g.call.clock_time_get(id, 0n, 0);
  return g.u64(0);
}

describe('poll_oneoff', () => {
  it('INVAL with no subscriptions or an unknown event type', async () => {
    const g = await makeGuest();
    expect(poll(g, []).errno).toBe(Errno.INVAL);
    expect(poll(g, [{ userdata: 1n, tag: 9 }]).errno).toBe(Errno.INVAL);
  });

  it('a relative clock advances the deterministic clock by the timeout', async () => {
    const g = await makeGuest({ deterministic: true });
    const r = poll(g, [
      { userdata: 5n, tag: Eventtype.CLOCK, clock: { id: Clockid.MONOTONIC, timeout: 3_000_000_000n } },
    ]);
    expect(r).toEqual({ errno: 0, events: [{ userdata: 5n, error: 0, type: Eventtype.CLOCK, nbytes: 0n }] });
    expect(now(g, Clockid.MONOTONIC)).toBe(3_000_000_000n);
  });

  it('an absolute clock waits until that time; the earliest of several clocks fires', async () => {
    const g = await makeGuest({ deterministic: { startTimeNs: 1000n } });
    const r = poll(g, [
      { userdata: 1n, tag: Eventtype.CLOCK, clock: { id: Clockid.REALTIME, timeout: 5000n, flags: 1 } },
      { userdata: 2n, tag: Eventtype.CLOCK, clock: { id: Clockid.MONOTONIC, timeout: 9000n } },
    ]);
    expect(r.events.map((e) => e.userdata)).toEqual([1n]);
    expect(now(g, Clockid.REALTIME)).toBe(5000n);
  });

  it('a real (non-deterministic) sleep waits at least the timeout', async () => {
    const g = await makeGuest();
    const before = now(g, Clockid.MONOTONIC);
    poll(g, [{ userdata: 1n, tag: Eventtype.CLOCK, clock: { id: Clockid.MONOTONIC, timeout: 20_000_000n } }]);
    expect(now(g, Clockid.MONOTONIC) - before >= 19_000_000n).toBe(true);
  });

  it('fd subscriptions are ready at once with the bytes available, and pre-empt clocks', async () => {
    const g = await makeGuest({
      stdin: 'abcdef',
      deterministic: true,
      preopens: [{ guestPath: '/d', backend: new MemoryFs({ files: { f: '0123456789' } }) }],
    });
    const file = g.open(3, 'f');
    g.read(file.fd, 4);
    const r = poll(g, [
      { userdata: 1n, tag: Eventtype.CLOCK, clock: { id: Clockid.MONOTONIC, timeout: 1_000_000_000n } },
      { userdata: 2n, tag: Eventtype.FD_READ, fd: 0 },
      { userdata: 3n, tag: Eventtype.FD_WRITE, fd: 1 },
      { userdata: 4n, tag: Eventtype.FD_READ, fd: file.fd },
    ]);
    expect(r.errno).toBe(0);
    expect(r.events).toEqual([
      { userdata: 2n, error: 0, type: Eventtype.FD_READ, nbytes: 6n },
      { userdata: 3n, error: 0, type: Eventtype.FD_WRITE, nbytes: 0n },
      { userdata: 4n, error: 0, type: Eventtype.FD_READ, nbytes: 6n },
    ]);
    expect(now(g, Clockid.MONOTONIC)).toBe(0n);
  });

  it('a bad descriptor or clock is reported in its event, not as the call result', async () => {
    const g = await makeGuest({ deterministic: true });
    const r = poll(g, [
      { userdata: 1n, tag: Eventtype.FD_READ, fd: 77 },
      { userdata: 2n, tag: Eventtype.CLOCK, clock: { id: 99, timeout: 1n } },
    ]);
    expect(r.errno).toBe(0);
    expect(r.events).toEqual([
      { userdata: 1n, error: Errno.BADF, type: Eventtype.FD_READ, nbytes: 0n },
      { userdata: 2n, error: Errno.INVAL, type: Eventtype.CLOCK, nbytes: 0n },
    ]);
  });
});

describe('sched_yield', () => {
  it('succeeds', async () => {
    const g = await makeGuest();
    expect(g.call.sched_yield()).toBe(0);
  });
});

describe('proc_raise', () => {
  it('ignores signals whose default action is to ignore, refuses stop signals and bad numbers', async () => {
    const g = await makeGuest();
    expect(g.call.proc_raise(Signal.NONE)).toBe(0);
    expect(g.call.proc_raise(Signal.CHLD)).toBe(0);
    expect(g.call.proc_raise(Signal.STOP)).toBe(Errno.NOTSUP);
    expect(g.call.proc_raise(31)).toBe(Errno.INVAL);
  });

  it('terminates the guest on a fatal signal, with exit code 128 + signal', async () => {
    const g = await makeGuest();
    expect(() => g.call.proc_raise(Signal.TERM)).toThrow(WasiExit);
    const { code } = await runCommand(`(module
      (import "wasi_snapshot_preview1" "proc_raise" (func $raise (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (drop (call $raise (i32.const 6)))))`);
    expect(code).toBe(128 + Signal.ABRT);
  });
});

describe('proc_exit', () => {
  it('carries the full exit code', async () => {
    const { code } = await runCommand(`(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 255))))`);
    expect(code).toBe(255);
  });
});
