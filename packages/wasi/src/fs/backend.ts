import type { Filetype } from '../abi.js';

/**
 * The filesystem interface the host talks to. It is modelled on `openat(2)`: every path operation
 * names exactly one child (`name`, never containing `/`) of a directory the host already holds.
 * Walking multi-component paths, `..`, symlinks and the confinement rules live once, in
 * `resolve.ts`, above every backend; a backend only has to make single-name operations that never
 * follow a symlink in `name`.
 *
 * Backends report failures by throwing `WasiErrnoError`.
 */
export interface FsBackend {
  /** Short label for messages and docs: `'host-directory'`, `'memory'`. */
  readonly kind: string;
  /** Opens the root of the grant. Called once per preopen per host. */
  openRoot(context: FsContext): FsDirectory;
}

/** What the host lends a backend: the clock used for timestamps the backend sets itself. */
export interface FsContext {
  /** Current realtime clock in nanoseconds (deterministic when the host is). */
  nowNs(): bigint;
}

export interface FsStat {
  dev: bigint;
  ino: bigint;
  filetype: Filetype;
  nlink: bigint;
  size: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}

export interface FsDirEntry {
  name: string;
  filetype: Filetype;
  /** Filled in when the backend has it for free; otherwise the host asks `lookup(name)` when it needs it. */
  ino?: bigint;
  /** The name as UTF-8, cached by the host between `fd_readdir` calls. */
  encoded?: Uint8Array;
}

export interface FsOpenFlags {
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  /** The result must be a directory (ENOTDIR otherwise). */
  directory: boolean;
  read: boolean;
  write: boolean;
}

/**
 * `unverified` marks a read-only open whose type the backend did not check (an fstat per open is
 * the single largest cost of opening a file in Node). The host asks `asDirectory()` before any
 * call whose answer depends on the type.
 */
export type FsOpened =
  | { kind: 'file'; file: FsFile; unverified?: boolean }
  | { kind: 'directory'; directory: FsDirectory };

/**
 * A held directory. `name` is one path component or `'.'` (the directory itself) for lookups and
 * opens. No method follows a symlink named by `name`: where the child is a symlink, `openFile` and
 * `openDirectory` throw LOOP (and `exclusive` creation throws EXIST), and the resolver decides
 * whether following it is allowed.
 */
export interface FsDirectory {
  stat(): FsStat;
  /** lstat of one child (or of `.`). */
  lookup(name: string): FsStat;
  /** The inode of the parent directory for the `..` dirent; the directory's own inode at a root. */
  parentIno(): bigint;
  readlink(name: string): string;
  openDirectory(name: string): FsDirectory;
  openFile(name: string, flags: FsOpenFlags): FsOpened;
  createDirectory(name: string): void;
  removeDirectory(name: string): void;
  unlinkFile(name: string): void;
  rename(name: string, target: FsDirectory, targetName: string): void;
  link(name: string, target: FsDirectory, targetName: string): void;
  symlink(linkTarget: string, name: string): void;
  /** Times of a child without following it; `null` leaves a time unchanged. */
  setTimes(name: string, atimNs: bigint | null, mtimNs: bigint | null): void;
  readdir(): FsDirEntry[];
  sync(): void;
  close(): void;
}

export interface FsFile {
  stat(): FsStat;
  /** Reads into `into` at `position`; returns the byte count (0 at or past the end). */
  read(into: Uint8Array, position: bigint): number;
  write(from: Uint8Array, position: bigint): number;
  setSize(size: bigint): void;
  setTimes(atimNs: bigint | null, mtimNs: bigint | null): void;
  sync(): void;
  datasync(): void;
  close(): void;
  /** For an `unverified` open: the same handle as a directory when it is one (ownership moves), else undefined. */
  asDirectory?(): FsDirectory | undefined;
}
