import { WasiConfigError } from './errors.js';
import type { FsBackend } from './fs/backend.js';

/** One directory granted to the guest. */
export interface Preopen {
  /** The name the guest sees (`/data`, `.`); reported by `fd_prestat_dir_name`. */
  guestPath: string;
  /** Where the files live: `new HostDirectory(path)` or `new MemoryFs()`. */
  backend: FsBackend;
  /** Refuse every write, create, rename, unlink, truncate, set-times and symlink (PERM, as Wasmtime). */
  readOnly?: boolean;
}

/** Which environment variables the guest sees. Deny by default: nothing unless listed. */
export interface EnvGrant {
  /** Exact names (`HOME`) or globs where `*` matches any run of characters (`APP_*`). */
  allow: readonly string[];
  /** Where the values come from; default: `globalThis.process?.env` when it exists, else nothing. */
  from?: Readonly<Record<string, string | undefined>>;
}

export interface OutputOptions {
  /** Bytes kept in the capture buffer; the rest is counted in `totalBytes`, not kept. Default 1 MiB. */
  maxBytes?: number;
  /**
   * Called synchronously with each chunk the guest writes (a copy, including bytes past the cap).
   * An exception thrown here unwinds the guest as a trap: the way to stop a chatty guest.
   */
  onData?: (chunk: Uint8Array) => void;
  /**
   * Like `onData`, without the copy: called first with a view of the guest's memory that is valid
   * only during the call (copy what you keep). For embedders that count or filter output and
   * rarely keep it, where a copy per write is measurable.
   */
  onWrite?: (view: Uint8Array) => void;
}

export interface DeterministicOptions {
  /** Realtime clock at start, in nanoseconds since the epoch. Default 0 (1970-01-01). */
  startTimeNs?: bigint;
  /** Seed for `random_get`; the same seed yields the same bytes. Default 0. */
  seed?: number | bigint;
  /** Nanoseconds every clock read advances the clocks by; default 0 (they move only when the guest sleeps). */
  tickNs?: bigint;
}

export interface WasiHostOptions {
  /** argv, program name first; default none. */
  args?: readonly string[];
  /** Environment granted by pattern, or an explicit map that is passed through as given. */
  env?: EnvGrant | Readonly<Record<string, string>>;
  /** Bytes the guest reads from fd 0; empty by default. */
  stdin?: Uint8Array | string;
  stdout?: OutputOptions;
  stderr?: OutputOptions;
  preopens?: readonly Preopen[];
  /** Fixed start time, clocks that move only as the guest asks, seeded randomness. Off by default. */
  deterministic?: DeterministicOptions | boolean;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const ENV_NAME_BAD = /[=\0]/;

/** Resolves an env option to the ordered `NAME=value` pairs the guest will see. */
export function resolveEnv(env: WasiHostOptions['env']): [string, string][] {
  if (env === undefined) return [];
  const isGrant = Array.isArray((env as EnvGrant).allow);
  const out: [string, string][] = [];
  if (!isGrant) {
    for (const [k, v] of Object.entries(env as Record<string, string>)) {
      if (ENV_NAME_BAD.test(k) || k === '' || typeof v !== 'string' || v.includes('\0'))
        throw new WasiConfigError(
          'invalid-env',
          `environment entry ${JSON.stringify(k)} is not a valid NAME=value pair.`,
        );
      out.push([k, v]);
    }
    return out;
  }
  const grant = env as EnvGrant;
  for (const pattern of grant.allow) {
    if (typeof pattern !== 'string' || pattern === '' || ENV_NAME_BAD.test(pattern))
      throw new WasiConfigError('invalid-env', `env pattern ${JSON.stringify(pattern)} is not a name or a glob.`);
  }
  const source =
    grant.from ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const matchers = grant.allow.map(globToRegExp);
  for (const name of Object.keys(source).sort()) {
    const value = source[name];
    if (value === undefined || value.includes('\0') || ENV_NAME_BAD.test(name)) continue;
    if (matchers.some((m) => m.test(name))) out.push([name, value]);
  }
  return out;
}

/** Rejects incompatible or malformed options up front, with what to change. */
export function checkOptions(options: WasiHostOptions): void {
  for (const arg of options.args ?? []) {
    if (typeof arg !== 'string' || arg.includes('\0'))
      throw new WasiConfigError('invalid-option', `argument ${JSON.stringify(arg)} must be a string without NUL.`);
  }
  const seen = new Set<string>();
  for (const p of options.preopens ?? []) {
    if (typeof p.guestPath !== 'string' || p.guestPath === '' || p.guestPath.includes('\0'))
      throw new WasiConfigError(
        'invalid-preopen',
        `preopen guestPath ${JSON.stringify(p.guestPath)} must be a non-empty string.`,
      );
    if (!p.backend || typeof p.backend.openRoot !== 'function')
      throw new WasiConfigError(
        'invalid-preopen',
        `preopen ${p.guestPath} needs a backend: new HostDirectory(path) or new MemoryFs().`,
      );
    if (seen.has(p.guestPath))
      throw new WasiConfigError('invalid-preopen', `guest path ${p.guestPath} is granted twice; grant it once.`);
    seen.add(p.guestPath);
  }
  for (const [name, out] of [
    ['stdout', options.stdout],
    ['stderr', options.stderr],
  ] as const) {
    const max = out?.maxBytes;
    if (max !== undefined && (!Number.isInteger(max) || max < 0))
      throw new WasiConfigError('invalid-option', `${name}.maxBytes must be a non-negative integer, got ${max}.`);
  }
}
