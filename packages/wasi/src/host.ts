import { Fdflags } from './abi.js';
import { fdCalls } from './calls-fd.js';
import { miscCalls } from './calls-misc.js';
import { pathCalls } from './calls-path.js';
import { DeterministicClock, RealClock, type WasiClock } from './clock.js';
import { WasiConfigError, WasiErrnoError, WasiExit } from './errors.js';
import { GuestMemory } from './memory.js';
import { checkOptions, resolveEnv, type WasiHostOptions } from './options.js';
import { type CapturedOutput, OutputSink } from './output.js';
import { cryptoRandom, SeededRandom } from './random.js';
import { WASI_PREVIEW1_SIGNATURES, type WasiFunctionName } from './signatures.js';
import { Descriptor, HostState, preopenRights, STDIN_RIGHTS, STDOUT_RIGHTS } from './state.js';

type HostFunction = (...args: never[]) => number;
/** The import object to pass to `WebAssembly.instantiate`. */
export type WasiImports = {
  wasi_snapshot_preview1: Record<WasiFunctionName, (...args: never[]) => number | undefined>;
};

const implementations = { ...fdCalls, ...pathCalls, ...miscCalls } as unknown as Record<
  WasiFunctionName,
  (s: HostState, ...args: unknown[]) => number
>;

const encoder = new TextEncoder();
/**
 * Args and environment entries, NUL-terminated. Hosts are created per execution with the same
 * few strings again and again, so their bytes are kept (never written: the guest gets copies).
 */
const encoded = new Map<string, Uint8Array>();
const ENCODED_MAX = 1024;
function nulTerminated(s: string): Uint8Array {
  let bytes = encoded.get(s);
  if (bytes === undefined) {
    bytes = encoder.encode(`${s}\0`);
    if (encoded.size >= ENCODED_MAX) encoded.clear();
    if (s.length <= 4096) encoded.set(s, bytes);
  }
  return bytes;
}

/**
 * A WASI preview1 host for one guest instance: its descriptors, grants, clocks and captured
 * output. Create one per execution; it holds host file descriptors until `start()` returns or
 * `close()` is called.
 */
export class WasiHost {
  readonly imports: WasiImports;
  private readonly state: HostState;
  private started = false;
  private closed = false;
  private exit: number | undefined;

  constructor(options: WasiHostOptions = {}) {
    checkOptions(options);
    const det = options.deterministic === true ? {} : options.deterministic || undefined;
    if (det?.seed !== undefined && typeof det.seed === 'number' && !Number.isInteger(det.seed))
      throw new WasiConfigError('invalid-option', `deterministic.seed must be an integer, got ${det.seed}.`);
    const clock: WasiClock = det ? new DeterministicClock(det) : new RealClock();
    const stdin =
      typeof options.stdin === 'string' ? encoder.encode(options.stdin) : (options.stdin ?? new Uint8Array());
    this.state = new HostState(
      (options.args ?? []).map(nulTerminated),
      resolveEnv(options.env).map(([k, v]) => nulTerminated(`${k}=${v}`)),
      stdin,
      new OutputSink(options.stdout),
      new OutputSink(options.stderr),
      clock,
      det ? new SeededRandom(det.seed ?? 0) : cryptoRandom,
    );
    const s = this.state;
    s.place(0, new Descriptor('stdin', STDIN_RIGHTS, 0, 0, false));
    s.place(1, new Descriptor('stdout', STDOUT_RIGHTS, 0, Fdflags.APPEND, false));
    s.place(2, new Descriptor('stderr', STDOUT_RIGHTS, 0, Fdflags.APPEND, false));
    const context = { nowNs: () => clock.now(0) };
    try {
      for (const p of options.preopens ?? []) {
        const readOnly = p.readOnly ?? false;
        const [base, inheriting] = preopenRights(readOnly);
        const root = p.backend.openRoot(context);
        s.add(new Descriptor('directory', base, inheriting, 0, readOnly, undefined, root, p.guestPath));
      }
    } catch (e) {
      s.closeAll();
      if (e instanceof WasiErrnoError)
        throw new WasiConfigError('invalid-preopen', `a preopened directory could not be opened: ${e.message}`);
      throw e;
    }
    this.imports = { wasi_snapshot_preview1: lazyTable(s) };
  }

  /** Binds the host to an instance's exported `memory` without running anything. */
  bind(instance: WebAssembly.Instance): void {
    const memory = instance.exports.memory;
    if (!(memory instanceof WebAssembly.Memory))
      throw new WasiConfigError('missing-memory', 'the module does not export a memory named "memory"; WASI needs it.');
    this.state.memory = new GuestMemory(memory);
  }

  /**
   * Runs a command: binds memory, calls `_start`, and returns the exit code (0 when `_start`
   * returns, the `proc_exit` code otherwise). Traps propagate as exceptions. Closes every
   * descriptor afterwards.
   */
  start(instance: WebAssembly.Instance): number {
    if (this.started)
      throw new WasiConfigError('already-started', 'this host already ran a guest; create a new WasiHost per run.');
    this.started = true;
    const entry = instance.exports._start;
    if (typeof entry !== 'function') {
      this.close();
      throw new WasiConfigError('missing-export', 'the module has no `_start` export; use initialize() for a reactor.');
    }
    try {
      this.bind(instance);
      (entry as () => void)();
      this.exit = 0;
    } catch (e) {
      if (!(e instanceof WasiExit)) throw e;
      this.exit = e.exitCode;
    } finally {
      this.close();
    }
    return this.exit;
  }

  /** Prepares a reactor: binds memory and calls `_initialize` when the module exports it. */
  initialize(instance: WebAssembly.Instance): void {
    if (this.started)
      throw new WasiConfigError('already-started', 'this host already ran a guest; create a new WasiHost per run.');
    this.started = true;
    this.bind(instance);
    const init = instance.exports._initialize;
    if (typeof init === 'function') (init as () => void)();
  }

  /** The exit code once `start()` has finished (undefined before). */
  get exitCode(): number | undefined {
    return this.exit;
  }

  get stdout(): CapturedOutput {
    return this.state.stdout.snapshot();
  }

  get stderr(): CapturedOutput {
    return this.state.stderr.snapshot();
  }

  /** Captured stdout decoded as UTF-8 (invalid sequences replaced). */
  stdoutText(): string {
    return new TextDecoder().decode(this.state.stdout.snapshot().bytes);
  }

  stderrText(): string {
    return new TextDecoder().decode(this.state.stderr.snapshot().bytes);
  }

  /** Releases every descriptor (host file descriptors included). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state.closeAll();
  }
}

const NAMES = Object.keys(WASI_PREVIEW1_SIGNATURES) as WasiFunctionName[];
const isName = (name: string | symbol): name is WasiFunctionName =>
  typeof name === 'string' && Object.hasOwn(WASI_PREVIEW1_SIGNATURES, name);

/**
 * The import table of one host. It looks like a plain object with all 46 functions (keys, `in`,
 * spreading all work), but each function is created on first use: instantiation only reads the
 * imports a module declares, and most modules declare a handful, so a run pays for those alone.
 */
function lazyTable(s: HostState): Record<WasiFunctionName, HostFunction> {
  const made = Object.create(null) as Partial<Record<WasiFunctionName, HostFunction>>;
  const get = (name: WasiFunctionName): HostFunction => {
    let fn = made[name];
    if (!fn) {
      const impl = implementations[name];
      fn = guard(impl.bind(null, s) as (...a: unknown[]) => number);
      made[name] = fn;
    }
    return fn;
  };
  return new Proxy(made as Record<WasiFunctionName, HostFunction>, {
    get: (_t, name) => (isName(name) ? get(name) : undefined),
    has: (_t, name) => isName(name),
    ownKeys: () => [...NAMES],
    getOwnPropertyDescriptor: (_t, name) =>
      isName(name) ? { value: get(name), writable: false, enumerable: true, configurable: true } : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/**
 * Wraps one implementation as an import: i32 arguments are made unsigned (wasm passes them
 * signed), a `WasiErrnoError` becomes the return value, anything else (a memory fault, `proc_exit`,
 * an exception from an output callback) unwinds the guest.
 */
function guard(impl: (...a: unknown[]) => number): HostFunction {
  // i32 arguments arrive as (signed) numbers and i64 as BigInt, so `typeof` tells which to make
  // unsigned. A fixed arity avoids rest parameters and spreads, which cost more than a cheap call.
  const u = (v: unknown): unknown => (typeof v === 'number' ? v >>> 0 : v);
  return ((
    a: unknown,
    b: unknown,
    c: unknown,
    d: unknown,
    e: unknown,
    f: unknown,
    g: unknown,
    h: unknown,
    i: unknown,
  ) => {
    try {
      return impl(u(a), u(b), u(c), u(d), u(e), u(f), u(g), u(h), u(i));
    } catch (err) {
      if (err instanceof WasiErrnoError) return err.errno;
      throw err;
    }
  }) as HostFunction;
}
