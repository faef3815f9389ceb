/**
 * @portalis/wasi: a WASI preview1 host that confines the guest to what it is granted.
 *
 * Core concepts:
 * - `WasiHost`: one guest's view of the world (args, env, stdio, preopened directories, clocks,
 *   randomness). Pass `host.imports` to `WebAssembly.instantiate`, then `host.start(instance)`
 *   for a command or `host.initialize(instance)` for a reactor. One host per run.
 * - `FsBackend`: where a preopened directory's files live. `HostDirectory` confines the guest to a
 *   directory of the host filesystem (Node only); `MemoryFs` is an in-memory tree (anywhere).
 *   Both sit behind one openat-style interface; path walking and confinement happen once, above them.
 * - `Preopen`: a grant of one backend under a guest path, read-write or read-only.
 * - Deterministic mode: fixed start time, clocks that move only when the guest sleeps, seeded
 *   `random_get`; the same module and inputs give byte-identical output.
 * - Errors: the guest only ever sees errno values (`Errno`); the embedder sees `WasiConfigError`
 *   (bad options, with a `code`), `WasiExit` (from `proc_exit`) and `WasiMemoryFault` (bad pointer).
 */
export {
  ALL_RIGHTS,
  Clockid,
  Errno,
  Eventtype,
  errnoName,
  Fdflags,
  Filetype,
  Fstflags,
  Lookupflags,
  Oflags,
  Rights,
  Signal,
  Whence,
} from './abi.js';
export type { WasiConfigErrorCode } from './errors.js';
export { WasiConfigError, WasiErrnoError, WasiExit } from './errors.js';
export type {
  FsBackend,
  FsContext,
  FsDirEntry,
  FsDirectory,
  FsFile,
  FsOpened,
  FsOpenFlags,
  FsStat,
} from './fs/backend.js';
export type { DirectoryLister, DirectoryListing, HostDirectoryOptions } from './fs/host-directory.js';
export { HostDirectory } from './fs/host-directory.js';
export type { MemoryEntry, MemoryFsOptions } from './fs/memory.js';
export { MemoryFs } from './fs/memory.js';
export type { WasiImports } from './host.js';
export { WasiHost } from './host.js';
export { WasiMemoryFault } from './memory.js';
export type { DeterministicOptions, EnvGrant, OutputOptions, Preopen, WasiHostOptions } from './options.js';
export { resolveEnv } from './options.js';
export type { CapturedOutput } from './output.js';
export type { WasiFunctionName, WasiFunctionSignature } from './signatures.js';
export { WASI_PREVIEW1_SIGNATURES } from './signatures.js';
