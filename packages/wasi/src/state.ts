import { ALL_RIGHTS, DIRECTORY_RIGHTS, Errno, FILE_RIGHTS, Filetype, MUTATING_RIGHTS, Rights } from './abi.js';
import type { WasiClock } from './clock.js';
import { fail } from './errors.js';
import type { FsDirEntry, FsDirectory, FsFile } from './fs/backend.js';
import type { GuestMemory } from './memory.js';
import type { OutputSink } from './output.js';
import type { RandomSource } from './random.js';

/** Open descriptors per host; a guest that opens more gets MFILE instead of exhausting host fds. */
export const MAX_OPEN_FDS = 1024;

export type DescriptorKind = 'stdin' | 'stdout' | 'stderr' | 'file' | 'directory';

/** A cached directory listing for `fd_readdir`, so reading a big directory in chunks is linear. */
export interface Listing {
  entries: FsDirEntry[];
}

/** One entry of the guest's descriptor table. */
export class Descriptor {
  position = 0n;
  listing: Listing | undefined;
  /** The open did not check whether this is a directory; `verify()` does, before it matters. */
  unverified = false;
  /** Rights asked for at open, to recompute them if `verify()` finds a directory. */
  requestedBase = 0;

  constructor(
    public kind: DescriptorKind,
    public rightsBase: number,
    public rightsInheriting: number,
    public flags: number,
    /** Inherited from the preopen: refuse every mutation through this descriptor. */
    readonly readOnly: boolean,
    public file?: FsFile,
    public dir?: FsDirectory,
    /** Set on preopened directories: the name `fd_prestat_dir_name` reports. */
    readonly preopenName?: string,
  ) {}

  get filetype(): Filetype {
    switch (this.kind) {
      case 'file':
        return Filetype.REGULAR_FILE;
      case 'directory':
        return Filetype.DIRECTORY;
      default:
        return Filetype.CHARACTER_DEVICE;
    }
  }

  /** Settles the type of an unverified open: turns the descriptor into a directory if it is one. */
  verify(): void {
    if (!this.unverified) return;
    this.unverified = false;
    const dir = this.file?.asDirectory?.();
    if (dir) {
      this.kind = 'directory';
      this.dir = dir;
      this.file = undefined;
      this.rightsBase = this.requestedBase & DIRECTORY_RIGHTS;
    }
  }

  close(): void {
    this.file?.close();
    this.dir?.close();
  }
}

export const STDIN_RIGHTS =
  Rights.FD_READ | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;
export const STDOUT_RIGHTS =
  Rights.FD_WRITE | Rights.POLL_FD_READWRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET;

/** Rights a preopened directory starts with; a read-only grant never holds a mutating right. */
export function preopenRights(readOnly: boolean): [base: number, inheriting: number] {
  const mask = readOnly ? ~MUTATING_RIGHTS : ALL_RIGHTS;
  return [DIRECTORY_RIGHTS & mask, (DIRECTORY_RIGHTS | FILE_RIGHTS) & mask];
}

/** Everything the preview1 functions share: descriptors, memory, clocks, randomness, stdio. */
export class HostState {
  readonly fds: Array<Descriptor | undefined> = [];
  private openCount = 0;
  memory: GuestMemory | undefined;

  constructor(
    readonly args: readonly Uint8Array[],
    readonly env: readonly Uint8Array[],
    readonly stdin: Uint8Array,
    readonly stdout: OutputSink,
    readonly stderr: OutputSink,
    readonly clock: WasiClock,
    readonly random: RandomSource,
  ) {}

  /** Bytes of stdin already consumed by the guest. */
  stdinOffset = 0;

  mem(): GuestMemory {
    return this.memory ?? fail(Errno.FAULT, 'the host is not bound to an instance memory');
  }

  /** The descriptor `fd` if it is open and holds every right in `rights` (ENOTCAPABLE otherwise). */
  get(fd: number, rights = 0, typeMatters = true): Descriptor {
    const d = this.fds[fd];
    if (d === undefined) fail(Errno.BADF);
    if (d.unverified && typeMatters) d.verify();
    if ((d.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
    return d;
  }

  /** Like `get`, for calls that need a directory (NOTDIR for anything else). */
  dir(fd: number, rights = 0): Descriptor & { dir: FsDirectory } {
    const d = this.get(fd);
    if (d.kind !== 'directory' || !d.dir) fail(Errno.NOTDIR);
    if ((d.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
    return d as Descriptor & { dir: FsDirectory };
  }

  add(d: Descriptor): number {
    if (this.openCount >= MAX_OPEN_FDS) {
      d.close();
      fail(Errno.MFILE);
    }
    let fd = 0;
    while (this.fds[fd] !== undefined) fd++;
    this.fds[fd] = d;
    this.openCount++;
    return fd;
  }

  /** Installs a descriptor at a fixed number (stdio, preopens, renumber). */
  place(fd: number, d: Descriptor): void {
    if (this.fds[fd] === undefined) this.openCount++;
    this.fds[fd] = d;
  }

  remove(fd: number): Descriptor {
    const d = this.get(fd, 0, false);
    this.fds[fd] = undefined;
    this.openCount--;
    while (this.fds.length > 0 && this.fds[this.fds.length - 1] === undefined) this.fds.pop();
    return d;
  }

  closeAll(): void {
    for (let fd = 0; fd < this.fds.length; fd++) this.fds[fd]?.close();
    this.fds.length = 0;
    this.openCount = 0;
  }
}
