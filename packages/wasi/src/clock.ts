import { Clockid, Errno } from './abi.js';
import { fail } from './errors.js';
import type { DeterministicOptions } from './options.js';

/** The four preview1 clocks, either real or deterministic. */
export interface WasiClock {
  readonly deterministic: boolean;
  now(id: number): bigint;
  resolution(id: number): bigint;
  /** Lets `timeoutNs` pass: a real sleep, or a jump of the deterministic clocks. */
  sleep(timeoutNs: bigint): void;
}

function checkId(id: number): void {
  if (
    id !== Clockid.REALTIME &&
    id !== Clockid.MONOTONIC &&
    id !== Clockid.PROCESS_CPUTIME_ID &&
    id !== Clockid.THREAD_CPUTIME_ID
  )
    fail(Errno.INVAL, `unknown clock ${id}`);
}

/**
 * Real clocks from web-platform APIs only (Date, performance), so the host runs unchanged in a
 * browser. The CPU-time clocks report time since the host was created: an upper bound on CPU
 * time, which is what JS can observe.
 */
export class RealClock implements WasiClock {
  readonly deterministic = false;
  private readonly originMs = performance.now();
  private sleeper: Int32Array | undefined;

  now(id: number): bigint {
    checkId(id);
    if (id === Clockid.REALTIME) {
      // Date.now has millisecond resolution; performance.timeOrigin + now() adds the fraction.
      return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
    }
    const ms = id === Clockid.MONOTONIC ? performance.now() : performance.now() - this.originMs;
    return BigInt(Math.round(ms * 1e6));
  }

  resolution(id: number): bigint {
    checkId(id);
    return 1000n;
  }

  sleep(timeoutNs: bigint): void {
    if (timeoutNs <= 0n) return;
    // Atomics.wait blocks the thread without spinning; it is allowed in Node and in workers.
    this.sleeper ??= new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(this.sleeper, 0, 0, Number(timeoutNs) / 1e6);
  }
}

/** Clocks that start at a fixed time and move only when the guest sleeps (plus `tickNs` per read). */
export class DeterministicClock implements WasiClock {
  readonly deterministic = true;
  private elapsed = 0n;
  private readonly start: bigint;
  private readonly tick: bigint;

  constructor(options: DeterministicOptions) {
    this.start = options.startTimeNs ?? 0n;
    this.tick = options.tickNs ?? 0n;
  }

  now(id: number): bigint {
    checkId(id);
    this.elapsed += this.tick;
    return id === Clockid.REALTIME ? this.start + this.elapsed : this.elapsed;
  }

  resolution(id: number): bigint {
    checkId(id);
    return 1n;
  }

  sleep(timeoutNs: bigint): void {
    if (timeoutNs > 0n) this.elapsed += timeoutNs;
  }
}
