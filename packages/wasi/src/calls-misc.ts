import { Errno, Eventtype, Rights, Signal, Subclockflags } from './abi.js';
import { fail, WasiErrnoError, WasiExit } from './errors.js';
import type { HostState } from './state.js';

function writeStrings(s: HostState, list: readonly Uint8Array[], ptrsPtr: number, bufPtr: number): void {
  const mem = s.mem();
  let at = bufPtr;
  for (let i = 0; i < list.length; i++) {
    const bytes = list[i] as Uint8Array;
    mem.setU32(ptrsPtr + i * 4, at);
    mem.bytes(at, bytes.length).set(bytes);
    at += bytes.length;
  }
}

function writeSizes(s: HostState, list: readonly Uint8Array[], countPtr: number, sizePtr: number): void {
  const mem = s.mem();
  let size = 0;
  for (const b of list) size += b.length;
  mem.setU32(countPtr, list.length);
  mem.setU32(sizePtr, size);
}

const IGNORED_SIGNALS = new Set<number>([Signal.NONE, Signal.CHLD, Signal.CONT, Signal.URG, Signal.WINCH]);
const STOP_SIGNALS = new Set<number>([Signal.STOP, Signal.TSTP, Signal.TTIN, Signal.TTOU]);
const SIGNAL_NAMES = Object.fromEntries(Object.entries(Signal).map(([k, v]) => [v, `SIG${k}`]));

interface PollEvent {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
}

/** A socket never exists (none can be granted), so every socket call has the same two answers. */
function notASocket(s: HostState, fd: number): number {
  s.get(fd);
  return Errno.NOTSOCK;
}

export const miscCalls = {
  args_get(s: HostState, argv: number, argvBuf: number): number {
    writeStrings(s, s.args, argv, argvBuf);
    return Errno.SUCCESS;
  },

  args_sizes_get(s: HostState, countPtr: number, sizePtr: number): number {
    writeSizes(s, s.args, countPtr, sizePtr);
    return Errno.SUCCESS;
  },

  environ_get(s: HostState, environ: number, environBuf: number): number {
    writeStrings(s, s.env, environ, environBuf);
    return Errno.SUCCESS;
  },

  environ_sizes_get(s: HostState, countPtr: number, sizePtr: number): number {
    writeSizes(s, s.env, countPtr, sizePtr);
    return Errno.SUCCESS;
  },

  clock_res_get(s: HostState, id: number, ptr: number): number {
    s.mem().setU64(ptr, s.clock.resolution(id));
    return Errno.SUCCESS;
  },

  clock_time_get(s: HostState, id: number, _precision: bigint, ptr: number): number {
    s.mem().setU64(ptr, s.clock.now(id));
    return Errno.SUCCESS;
  },

  poll_oneoff(s: HostState, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
    if (nsubs === 0) fail(Errno.INVAL);
    const mem = s.mem();
    const inView = mem.view(inPtr, nsubs * 48);
    mem.check(outPtr, nsubs * 32);
    const ready: PollEvent[] = [];
    const clocks: Array<{ userdata: bigint; remaining: bigint }> = [];
    for (let i = 0; i < nsubs; i++) {
      const at = inPtr + i * 48;
      const userdata = inView.getBigUint64(at, true);
      const tag = inView.getUint8(at + 8);
      if (tag === Eventtype.CLOCK) {
        const id = inView.getUint32(at + 16, true);
        const timeout = inView.getBigUint64(at + 24, true);
        const flags = inView.getUint16(at + 40, true);
        try {
          if (flags & ~Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME) fail(Errno.INVAL);
          const remaining = flags & Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME ? timeout - s.clock.now(id) : timeout;
          if (!(flags & Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME)) s.clock.resolution(id);
          clocks.push({ userdata, remaining });
        } catch (e) {
          if (!(e instanceof WasiErrnoError)) throw e;
          ready.push({ userdata, error: e.errno, type: tag, nbytes: 0n });
        }
      } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
        const fd = inView.getUint32(at + 16, true);
        try {
          const d = s.get(fd, Rights.POLL_FD_READWRITE);
          let nbytes = 0n;
          if (tag === Eventtype.FD_READ) {
            if (d.kind === 'stdin') nbytes = BigInt(s.stdin.length - s.stdinOffset);
            else if (d.file) {
              const size = d.file.stat().size;
              nbytes = size > d.position ? size - d.position : 0n;
            } else fail(Errno.BADF);
          } else if (!(d.kind === 'stdout' || d.kind === 'stderr' || d.file)) fail(Errno.BADF);
          ready.push({ userdata, error: Errno.SUCCESS, type: tag, nbytes });
        } catch (e) {
          if (!(e instanceof WasiErrnoError)) throw e;
          ready.push({ userdata, error: e.errno, type: tag, nbytes: 0n });
        }
      } else fail(Errno.INVAL);
    }
    // Files and stdio are always ready, so a poll only waits when it holds nothing but clocks.
    if (ready.length === 0 && clocks.length > 0) {
      let soonest = clocks[0]?.remaining as bigint;
      for (const c of clocks) if (c.remaining < soonest) soonest = c.remaining;
      s.clock.sleep(soonest);
      for (const c of clocks)
        if (c.remaining <= soonest) ready.push({ userdata: c.userdata, error: 0, type: Eventtype.CLOCK, nbytes: 0n });
    } else {
      for (const c of clocks)
        if (c.remaining <= 0n) ready.push({ userdata: c.userdata, error: 0, type: Eventtype.CLOCK, nbytes: 0n });
    }
    const out = mem.view(outPtr, ready.length * 32);
    ready.forEach((ev, i) => {
      const at = outPtr + i * 32;
      out.setBigUint64(at, ev.userdata, true);
      out.setUint16(at + 8, ev.error, true);
      out.setUint8(at + 10, ev.type);
      for (let j = 11; j < 16; j++) out.setUint8(at + j, 0);
      out.setBigUint64(at + 16, ev.nbytes, true);
      out.setUint16(at + 24, 0, true);
      for (let j = 26; j < 32; j++) out.setUint8(at + j, 0);
    });
    mem.setU32(neventsPtr, ready.length);
    return Errno.SUCCESS;
  },

  proc_exit(_s: HostState, code: number): never {
    throw new WasiExit(code >>> 0);
  },

  proc_raise(_s: HostState, sig: number): number {
    if (sig > Signal.SYS) fail(Errno.INVAL);
    if (IGNORED_SIGNALS.has(sig)) return Errno.SUCCESS;
    // A sandboxed guest has no job control to be stopped by.
    if (STOP_SIGNALS.has(sig)) fail(Errno.NOTSUP);
    throw new WasiExit(128 + sig, SIGNAL_NAMES[sig]);
  },

  sched_yield(_s: HostState): number {
    return Errno.SUCCESS;
  },

  random_get(s: HostState, buf: number, len: number): number {
    s.random.fill(s.mem().bytes(buf, len));
    return Errno.SUCCESS;
  },

  sock_accept(s: HostState, fd: number, flags: number, _fdPtr: number): number {
    s.get(fd);
    if (flags & ~4) fail(Errno.INVAL);
    return Errno.NOTSOCK;
  },

  sock_recv(s: HostState, fd: number): number {
    return notASocket(s, fd);
  },

  sock_send(s: HostState, fd: number): number {
    return notASocket(s, fd);
  },

  sock_shutdown(s: HostState, fd: number): number {
    return notASocket(s, fd);
  },
};
