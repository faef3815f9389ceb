import {
  type BigIntStats,
  closeSync,
  constants,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  type Stats,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { Errno, Filetype } from '../abi.js';
import { fail, WasiConfigError, WasiErrnoError } from '../errors.js';
import type { FsBackend, FsDirEntry, FsDirectory, FsFile, FsOpened, FsOpenFlags, FsStat } from './backend.js';

const NODE_ERRNO: Record<string, number> = {
  E2BIG: Errno.TOOBIG,
  EACCES: Errno.ACCES,
  EAGAIN: Errno.AGAIN,
  EBADF: Errno.BADF,
  EBUSY: Errno.BUSY,
  EDQUOT: Errno.DQUOT,
  EEXIST: Errno.EXIST,
  EFBIG: Errno.FBIG,
  EINVAL: Errno.INVAL,
  EIO: Errno.IO,
  EISDIR: Errno.ISDIR,
  ELOOP: Errno.LOOP,
  EMFILE: Errno.MFILE,
  EMLINK: Errno.MLINK,
  ENAMETOOLONG: Errno.NAMETOOLONG,
  ENFILE: Errno.NFILE,
  ENODEV: Errno.NODEV,
  ENOENT: Errno.NOENT,
  ENOMEM: Errno.NOMEM,
  ENOSPC: Errno.NOSPC,
  ENOTDIR: Errno.NOTDIR,
  ENOTEMPTY: Errno.NOTEMPTY,
  ENOTSUP: Errno.NOTSUP,
  EOPNOTSUPP: Errno.NOTSUP,
  ENXIO: Errno.NXIO,
  EOVERFLOW: Errno.OVERFLOW,
  EPERM: Errno.PERM,
  EROFS: Errno.ROFS,
  ESPIPE: Errno.SPIPE,
  ETXTBSY: Errno.TXTBSY,
  EXDEV: Errno.XDEV,
};

/** Maps a Node fs error to an errno; anything unrecognised becomes IO rather than a host exception. */
export function errnoFromNode(e: unknown): WasiErrnoError {
  if (e instanceof WasiErrnoError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  return new WasiErrnoError(typeof code === 'string' ? (NODE_ERRNO[code] ?? Errno.IO) : Errno.IO, String(e));
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw errnoFromNode(e);
  }
}

function filetypeOf(s: BigIntStats | Stats): Filetype {
  if (s.isFile()) return Filetype.REGULAR_FILE;
  if (s.isDirectory()) return Filetype.DIRECTORY;
  if (s.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (s.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (s.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (s.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN;
}

function toStat(s: BigIntStats): FsStat {
  return {
    dev: s.dev,
    ino: s.ino,
    filetype: filetypeOf(s),
    nlink: s.nlink,
    size: s.size,
    atimNs: s.atimeNs,
    mtimNs: s.mtimeNs,
    ctimNs: s.ctimeNs,
  };
}

const seconds = (ns: bigint): number => Number(ns) / 1e9;

/** O_NONBLOCK keeps a FIFO planted in the grant from blocking the host thread on open. */
const OPEN_BASE = constants.O_NOFOLLOW | constants.O_NONBLOCK;
const O_DIRECTORY = constants.O_DIRECTORY;

export interface HostDirectoryOptions {
  /**
   * Reach children through `/proc/self/fd` (race-free, Linux). Default: whenever /proc is there.
   * `false` forces the portable path-string mode, which tests use to cover macOS behaviour.
   */
  useProcFd?: boolean;
  /**
   * Report each entry's inode number in `fd_readdir` (`d_ino`), as the spec and Wasmtime do. Node
   * can only learn it with one lstat per entry, which dominates listing a large directory; `false`
   * reports 0 instead, as node:wasi does (beware: some programs skip entries whose d_ino is 0).
   * Default true.
   */
  readdirInodes?: boolean;
  /**
   * Reads a held directory's names, inode numbers and types in one pass, given its descriptor;
   * used on Linux (`/proc/self/fd`) when `readdirInodes` is on, instead of one lstat per entry.
   * The bridge passes the Wasmtime addon's lister when that addon is built. If it throws, the
   * listing is made the portable way.
   */
  lister?: DirectoryLister;
}

/** A directory's entries as a native lister reads them (see `HostDirectoryOptions.lister`). */
export interface DirectoryListing {
  names: readonly string[];
  inodes: ArrayLike<bigint>;
  /** WASI filetype codes, as `Filetype`. */
  filetypes: ArrayLike<number>;
}

/** Lists the directory open as host descriptor `fd` (without `.` and `..`). */
export type DirectoryLister = (fd: number) => DirectoryListing;

/** How a directory answers `readdir`, shared by every directory of a grant. */
interface ListingMode {
  inodes: boolean;
  lister: DirectoryLister | undefined;
}

/**
 * A directory of the host filesystem granted to the guest.
 *
 * Every held directory is a real open file descriptor. On Linux, operations on a child go through
 * `/proc/self/fd/<dirfd>/<name>`: the kernel resolves the magic link to the directory the
 * descriptor holds, whatever has happened to its path since, which gives the `openat(2)`
 * semantics Node does not expose. Each child is opened with O_NOFOLLOW, so a symlink swapped in
 * after a check is refused by the kernel instead of followed. Where /proc is missing (macOS,
 * Windows) the backend falls back to path strings and re-checks identity after each open; that
 * fallback has a check-then-use window, described in docs/security.md.
 */
export class HostDirectory implements FsBackend {
  readonly kind = 'host-directory';
  /** The granted directory with the host's own symlinks resolved (the grant is the host's choice). */
  readonly hostPath: string;

  private readonly useProcFd: boolean | undefined;
  private readonly listing: ListingMode;

  constructor(hostPath: string, options: HostDirectoryOptions = {}) {
    this.useProcFd = options.useProcFd;
    this.listing = { inodes: options.readdirInodes ?? true, lister: options.lister };
    let real: string;
    try {
      real = realpathSync(hostPath);
    } catch (e) {
      throw new WasiConfigError(
        'invalid-preopen',
        `host directory ${hostPath} cannot be granted: ${(e as Error).message}. Create it or fix the path.`,
      );
    }
    if (!statSync(real).isDirectory())
      throw new WasiConfigError('invalid-preopen', `host path ${hostPath} is not a directory; grant a directory.`);
    this.hostPath = real;
  }

  openRoot(): FsDirectory {
    const fd = wrap(() => openSync(this.hostPath, constants.O_RDONLY | O_DIRECTORY));
    const viaProc = this.useProcFd ?? existsSync(`/proc/self/fd/${fd}`);
    const listing = viaProc ? this.listing : { ...this.listing, lister: undefined };
    return new HostDir(fd, this.hostPath, viaProc, true, listing);
  }
}

class HostDir implements FsDirectory {
  /** Prefix for child paths: `/proc/self/fd/N/` or the directory's path with a trailing slash. */
  private readonly prefix: string;

  constructor(
    private readonly fd: number,
    private readonly path: string,
    private readonly viaProc: boolean,
    private readonly isRoot: boolean,
    private readonly listing: ListingMode,
  ) {
    // The root is addressed by its path: replacing it needs write access to its parent, which is
    // outside the grant, so no guest can swap it; every directory below goes through its fd.
    this.prefix = viaProc && !isRoot ? `/proc/self/fd/${fd}/` : `${path}/`;
  }

  private at(name: string): string {
    if (!this.viaProc && !this.isRoot) this.checkPathStillHeld();
    return this.prefix + name;
  }

  /**
   * Path-string mode only: the directory's path must still lead to the directory we hold (not a
   * symlink swapped in, not another directory). Directories have no hard links, so equal
   * dev/inode means the path resolves to this very directory at this moment.
   */
  private checkPathStillHeld(): void {
    const held = fstatSync(this.fd, { bigint: true });
    const seen = lstatSync(this.path, { bigint: true, throwIfNoEntry: false });
    if (seen === undefined) fail(Errno.NOENT, 'the directory was moved or removed');
    if (seen.isSymbolicLink() || seen.ino !== held.ino || seen.dev !== held.dev)
      fail(Errno.PERM, 'the directory was replaced while held');
  }

  /** `checkPathStillHeld` as a yes or no. */
  private pathStillHeld(): boolean {
    try {
      this.checkPathStillHeld();
      return true;
    } catch {
      return false;
    }
  }

  stat(): FsStat {
    return wrap(() => toStat(fstatSync(this.fd, { bigint: true })));
  }

  lookup(name: string): FsStat {
    return wrap(() => toStat(lstatSync(this.at(name), { bigint: true })));
  }

  parentIno(): bigint {
    if (this.isRoot) return this.stat().ino;
    return wrap(() => lstatSync(this.at('..'), { bigint: true }).ino);
  }

  readlink(name: string): string {
    return wrap(() => readlinkSync(this.at(name), 'utf8'));
  }

  /** Tells a symlink apart from a file when an O_NOFOLLOW|O_DIRECTORY open failed with NOTDIR. */
  private symlinkOr(name: string, e: unknown): WasiErrnoError {
    const err = errnoFromNode(e);
    if (err.errno !== Errno.NOTDIR) return err;
    try {
      if (lstatSync(this.at(name)).isSymbolicLink()) return new WasiErrnoError(Errno.LOOP);
    } catch {}
    return err;
  }

  private adopt(fd: number, name: string, isDir: boolean): void {
    if (this.viaProc || this.isRoot) return;
    // Fallback mode: the path may have been swapped between lookup and open; make sure the object
    // we hold is the one a no-follow lookup sees now.
    try {
      const held = fstatSync(fd, { bigint: true });
      const seen = lstatSync(this.at(name), { bigint: true }); // at() re-checks the directory path too
      if (held.ino !== seen.ino || held.dev !== seen.dev || seen.isSymbolicLink() || held.isDirectory() !== isDir)
        fail(Errno.PERM, 'the path changed while it was being opened');
    } catch (e) {
      closeSync(fd);
      throw errnoFromNode(e);
    }
  }

  /**
   * The directory held by `fd`, opened as `name` here. `.` is this very directory, so it keeps
   * this one's path and, for the grant's root, the root's standing: C's `opendir("/data")` opens
   * the preopen as `.`, and that descriptor is then addressed by path like the root (which the
   * guest cannot swap) instead of through /proc, and reports the root's own `..` inode.
   */
  private child(fd: number, name: string): HostDir {
    const same = name === '.';
    return new HostDir(fd, same ? this.path : `${this.path}/${name}`, this.viaProc, same && this.isRoot, this.listing);
  }

  openDirectory(name: string): FsDirectory {
    let fd: number;
    try {
      fd = openSync(this.at(name), constants.O_RDONLY | O_DIRECTORY | OPEN_BASE);
    } catch (e) {
      throw this.symlinkOr(name, e);
    }
    wrap(() => this.adopt(fd, name, true));
    return this.child(fd, name);
  }

  openFile(name: string, flags: FsOpenFlags): FsOpened {
    let mode = flags.write ? constants.O_RDWR : constants.O_RDONLY;
    if (flags.create) mode |= constants.O_CREAT;
    if (flags.exclusive) mode |= constants.O_EXCL;
    if (flags.truncate) mode |= constants.O_TRUNC;
    if (flags.directory) mode |= O_DIRECTORY;
    let fd: number;
    try {
      fd = openSync(this.at(name), mode | OPEN_BASE, 0o666);
    } catch (e) {
      throw flags.directory ? this.symlinkOr(name, e) : errnoFromNode(e);
    }
    // Opening a directory for writing fails with EISDIR, so a writable open is a file. A read-only
    // open is left unverified (the host fstat's it only when the type matters) unless the path
    // fallback must check identity anyway.
    if (!flags.directory && (flags.write || this.viaProc || this.isRoot)) {
      const asDir = () => this.child(fd, name);
      return { kind: 'file', file: new HostFile(fd, flags.write ? undefined : asDir), unverified: !flags.write };
    }
    let isDir = false;
    try {
      isDir = fstatSync(fd).isDirectory();
      if (name !== '.') this.adopt(fd, name, isDir);
    } catch (e) {
      closeSync(fd);
      throw errnoFromNode(e);
    }
    if (isDir) return { kind: 'directory', directory: this.child(fd, name) };
    return { kind: 'file', file: new HostFile(fd) };
  }

  createDirectory(name: string): void {
    wrap(() => mkdirSync(this.at(name), 0o777));
  }

  removeDirectory(name: string): void {
    if (name === '.') fail(Errno.INVAL);
    wrap(() => rmdirSync(this.at(name)));
  }

  unlinkFile(name: string): void {
    if (name === '.') fail(Errno.ISDIR);
    wrap(() => {
      try {
        unlinkSync(this.at(name));
      } catch (e) {
        // Linux answers EISDIR for a directory, macOS EPERM; the spec's answer is EISDIR.
        if ((e as { code?: string }).code === 'EPERM' && lstatSync(this.at(name)).isDirectory()) fail(Errno.ISDIR);
        throw e;
      }
    });
  }

  private peer(target: FsDirectory): HostDir {
    if (!(target instanceof HostDir)) fail(Errno.XDEV);
    return target;
  }

  rename(name: string, target: FsDirectory, targetName: string): void {
    if (name === '.' || targetName === '.') fail(Errno.BUSY);
    const to = this.peer(target);
    wrap(() => renameSync(this.at(name), to.at(targetName)));
  }

  link(name: string, target: FsDirectory, targetName: string): void {
    const to = this.peer(target);
    wrap(() => linkSync(this.at(name), to.at(targetName)));
  }

  symlink(linkTarget: string, name: string): void {
    wrap(() => symlinkSync(linkTarget, this.at(name)));
  }

  setTimes(name: string, atimNs: bigint | null, mtimNs: bigint | null): void {
    wrap(() => {
      const path = this.at(name);
      let a = atimNs;
      let m = mtimNs;
      if (a === null || m === null) {
        const st = lstatSync(path, { bigint: true });
        a ??= st.atimeNs;
        m ??= st.mtimeNs;
      }
      lutimesSync(path, seconds(a), seconds(m));
    });
  }

  readdir(): FsDirEntry[] {
    return wrap(() => {
      if (this.listing.inodes) return this.listNatively() ?? this.readdirWithStats();
      const out: FsDirEntry[] = [];
      for (const d of readdirSync(this.at('.'), { withFileTypes: true })) {
        let filetype: Filetype = Filetype.UNKNOWN;
        if (d.isFile()) filetype = Filetype.REGULAR_FILE;
        else if (d.isDirectory()) filetype = Filetype.DIRECTORY;
        else if (d.isSymbolicLink()) filetype = Filetype.SYMBOLIC_LINK;
        else if (d.isCharacterDevice()) filetype = Filetype.CHARACTER_DEVICE;
        else if (d.isBlockDevice()) filetype = Filetype.BLOCK_DEVICE;
        else if (d.isSocket()) filetype = Filetype.SOCKET_STREAM;
        out.push({ name: d.name, filetype, ino: 0n });
      }
      return out;
    });
  }

  /** The listing from the native lister, or undefined when there is none or it failed. */
  private listNatively(): FsDirEntry[] | undefined {
    const lister = this.listing.lister;
    if (lister === undefined) return undefined;
    let listing: DirectoryListing;
    try {
      listing = lister(this.fd);
    } catch {
      return undefined;
    }
    const { names, inodes, filetypes } = listing;
    if (inodes.length !== names.length || filetypes.length !== names.length) return undefined;
    const out = new Array<FsDirEntry>(names.length);
    for (let i = 0; i < names.length; i++)
      out[i] = { name: names[i] as string, filetype: filetypes[i] as Filetype, ino: inodes[i] as bigint };
    return out;
  }

  /**
   * The listing with each entry's inode and type from one lstat (the lstat is needed for the
   * inode anyway, and gives the type too, so the directory is read for names alone, which is
   * cheaper than with types). The lstats go through the directory's path, checked before and
   * after to lead to the held directory (a lstat through /proc/self/fd costs about 1.7x one
   * through a plain path); if it does not, they go through /proc
   * (or, without /proc, fail as every call on a moved directory does). An entry removed between
   * the read and its lstat is left out, as if the read had come after. Answers are inode
   * numbers and types only, never contents.
   */
  private readdirWithStats(): FsDirEntry[] {
    const names = readdirSync(this.at('.'));
    const statAll = (base: string) => {
      const out: FsDirEntry[] = [];
      for (const name of names) {
        const st = lstatSync(base + name, { throwIfNoEntry: false });
        if (st === undefined) continue;
        const ino = Number.isSafeInteger(st.ino) ? BigInt(st.ino) : lstatSync(base + name, { bigint: true }).ino;
        out.push({ name, filetype: filetypeOf(st), ino });
      }
      return out;
    };
    if (this.isRoot) return statAll(this.prefix);
    if (this.pathStillHeld()) {
      const out = statAll(`${this.path}/`);
      if (this.pathStillHeld()) return out;
    }
    return statAll(this.viaProc ? this.prefix : this.at(''));
  }

  sync(): void {
    wrap(() => fsyncSync(this.fd));
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {}
  }
}

class HostFile implements FsFile {
  constructor(
    private readonly fd: number,
    private readonly asDir?: () => FsDirectory,
  ) {}

  asDirectory(): FsDirectory | undefined {
    if (!this.asDir) return undefined;
    return wrap(() => fstatSync(this.fd).isDirectory()) ? this.asDir() : undefined;
  }

  stat(): FsStat {
    return wrap(() => toStat(fstatSync(this.fd, { bigint: true })));
  }

  read(into: Uint8Array, position: bigint): number {
    try {
      return readSync(this.fd, into, 0, into.length, position);
    } catch (e) {
      throw errnoFromNode(e);
    }
  }

  write(from: Uint8Array, position: bigint): number {
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) fail(Errno.FBIG);
    try {
      return writeSync(this.fd, from, 0, from.length, Number(position));
    } catch (e) {
      throw errnoFromNode(e);
    }
  }

  setSize(size: bigint): void {
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail(Errno.FBIG);
    wrap(() => ftruncateSync(this.fd, Number(size)));
  }

  setTimes(atimNs: bigint | null, mtimNs: bigint | null): void {
    wrap(() => {
      let a = atimNs;
      let m = mtimNs;
      if (a === null || m === null) {
        const st = fstatSync(this.fd, { bigint: true });
        a ??= st.atimeNs;
        m ??= st.mtimeNs;
      }
      futimesSync(this.fd, seconds(a), seconds(m));
    });
  }

  sync(): void {
    wrap(() => fsyncSync(this.fd));
  }

  datasync(): void {
    wrap(() => fdatasyncSync(this.fd));
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {}
  }
}
