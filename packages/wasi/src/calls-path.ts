import {
  ALL_RIGHTS,
  DIRECTORY_RIGHTS,
  Errno,
  Fdflags,
  FILE_RIGHTS,
  Filetype,
  Lookupflags,
  Oflags,
  Rights,
  WRITE_INTENT_RIGHTS,
} from './abi.js';
import { refuseIfReadOnly, timesFromFlags, writeFilestat } from './calls-fd.js';
import { fail, WasiErrnoError } from './errors.js';
import type { FsDirectory, FsOpened, FsStat } from './fs/backend.js';
import { checkPathText, FOLLOW, symlinkEscapes, walkPath } from './fs/resolve.js';
import { Descriptor, type HostState } from './state.js';

const RIGHTS_MASK = BigInt(ALL_RIGHTS);

/** Reads a path argument: NUL is INVAL (as on Unix), invalid UTF-8 is ILSEQ (as Wasmtime). */
function readPath(s: HostState, ptr: number, len: number): string {
  const mem = s.mem();
  const raw = mem.bytes(ptr, len);
  if (raw.includes(0)) fail(Errno.INVAL, 'path contains a NUL byte');
  const path = mem.string(ptr, len) ?? fail(Errno.ILSEQ, 'path is not valid UTF-8');
  checkPathText(path, len);
  return path;
}

function follows(flags: number): boolean {
  if (flags & ~Lookupflags.SYMLINK_FOLLOW) fail(Errno.INVAL);
  return (flags & Lookupflags.SYMLINK_FOLLOW) !== 0;
}

/** lstat of `name`, following it when asked; returns FOLLOW for the resolver on a symlink. */
function statStep(dir: FsDirectory, name: string, follow: boolean, mustBeDir: boolean): FsStat | typeof FOLLOW {
  const st = dir.lookup(name);
  if (st.filetype === Filetype.SYMBOLIC_LINK && (follow || mustBeDir)) return FOLLOW;
  if (mustBeDir && st.filetype !== Filetype.DIRECTORY) fail(Errno.NOTDIR);
  return st;
}

/** For calls whose last component must not be the directory itself (`.`, `a/..`). */
function named(name: string, errno: number): string {
  if (name === '.') fail(errno);
  return name;
}

export const pathCalls = {
  path_create_directory(s: HostState, fd: number, pathPtr: number, pathLen: number): number {
    const d = s.dir(fd);
    refuseIfReadOnly(d);
    s.dir(fd, Rights.PATH_CREATE_DIRECTORY);
    const path = readPath(s, pathPtr, pathLen);
    walkPath(d.dir, path, (dir, name) => dir.createDirectory(named(name, Errno.EXIST)));
    return Errno.SUCCESS;
  },

  path_filestat_get(s: HostState, fd: number, flags: number, pathPtr: number, pathLen: number, buf: number): number {
    const d = s.dir(fd, Rights.PATH_FILESTAT_GET);
    const follow = follows(flags);
    const path = readPath(s, pathPtr, pathLen);
    const st = walkPath(d.dir, path, (dir, name, mustBeDir) => statStep(dir, name, follow, mustBeDir));
    writeFilestat(s, buf, st);
    return Errno.SUCCESS;
  },

  path_filestat_set_times(
    s: HostState,
    fd: number,
    flags: number,
    pathPtr: number,
    pathLen: number,
    atim: bigint,
    mtim: bigint,
    fst: number,
  ): number {
    const d = s.dir(fd);
    refuseIfReadOnly(d);
    s.dir(fd, Rights.PATH_FILESTAT_SET_TIMES);
    const follow = follows(flags);
    const [a, m] = timesFromFlags(s, atim, mtim, fst);
    const path = readPath(s, pathPtr, pathLen);
    walkPath(d.dir, path, (dir, name, mustBeDir) => {
      if (statStep(dir, name, follow, mustBeDir) === FOLLOW) return FOLLOW;
      dir.setTimes(name, a, m);
    });
    return Errno.SUCCESS;
  },

  path_link(
    s: HostState,
    oldFd: number,
    oldFlags: number,
    oldPtr: number,
    oldLen: number,
    newFd: number,
    newPtr: number,
    newLen: number,
  ): number {
    const from = s.dir(oldFd);
    const to = s.dir(newFd);
    refuseIfReadOnly(from);
    refuseIfReadOnly(to);
    s.dir(oldFd, Rights.PATH_LINK_SOURCE);
    s.dir(newFd, Rights.PATH_LINK_TARGET);
    const follow = follows(oldFlags);
    const oldPath = readPath(s, oldPtr, oldLen);
    const newPath = readPath(s, newPtr, newLen);
    walkPath(from.dir, oldPath, (srcDir, srcName, srcMustBeDir) => {
      const st = statStep(srcDir, srcName, follow, srcMustBeDir);
      if (st === FOLLOW) return FOLLOW;
      if (st.filetype === Filetype.DIRECTORY) fail(Errno.PERM, 'hard links to directories are not allowed');
      walkPath(to.dir, newPath, (dstDir, dstName, dstMustBeDir) => {
        if (dstMustBeDir) fail(dstDir.lookup(named(dstName, Errno.EXIST)) ? Errno.EXIST : Errno.NOENT);
        srcDir.link(srcName, dstDir, named(dstName, Errno.EXIST));
      });
    });
    return Errno.SUCCESS;
  },

  path_open(
    s: HostState,
    fd: number,
    dirflags: number,
    pathPtr: number,
    pathLen: number,
    oflags: number,
    rightsBase: bigint,
    rightsInheriting: bigint,
    fdflags: number,
    fdPtr: number,
  ): number {
    const d = s.dir(fd);
    const follow = follows(dirflags);
    if (oflags & ~0xf || fdflags & ~0x1f) fail(Errno.INVAL);
    const create = (oflags & Oflags.CREAT) !== 0;
    const exclusive = (oflags & Oflags.EXCL) !== 0;
    const truncate = (oflags & Oflags.TRUNC) !== 0;
    let directory = (oflags & Oflags.DIRECTORY) !== 0;
    if (directory && (create || truncate)) fail(Errno.INVAL);
    // Rights beyond what the directory may hand out are dropped, never granted (wasi-libc asks for
    // the maximum and expects the intersection).
    const requested = Number(rightsBase & RIGHTS_MASK);
    const base = requested & d.rightsInheriting;
    const inheriting = Number(rightsInheriting & RIGHTS_MASK) & d.rightsInheriting;
    const write = (requested & WRITE_INTENT_RIGHTS) !== 0;
    if (d.readOnly && (create || truncate || write || fdflags & Fdflags.APPEND))
      fail(Errno.PERM, 'the directory was granted read-only');
    let needed = Rights.PATH_OPEN;
    if (create) needed |= Rights.PATH_CREATE_FILE;
    if (truncate) needed |= Rights.PATH_FILESTAT_SET_SIZE;
    s.dir(fd, needed);
    const path = readPath(s, pathPtr, pathLen);
    const read = (base & (Rights.FD_READ | Rights.FD_READDIR)) !== 0;
    const opened = walkPath<FsOpened>(d.dir, path, (dir, name, mustBeDir) => {
      if (mustBeDir) directory = true;
      try {
        return dir.openFile(name, { create, exclusive, truncate, directory, read, write });
      } catch (e) {
        // The kernel (or the memory tree) refused to follow a symlink; the resolver follows it
        // under the confinement rules when the guest asked for it.
        if (e instanceof WasiErrnoError && e.errno === Errno.LOOP && (follow || mustBeDir) && !(create && exclusive))
          return FOLLOW;
        throw e;
      }
    });
    let desc: Descriptor;
    if (opened.kind === 'file') {
      desc = new Descriptor('file', base & FILE_RIGHTS, inheriting, fdflags, d.readOnly, opened.file);
      desc.unverified = opened.unverified === true;
      desc.requestedBase = base;
    } else {
      if (write) {
        opened.directory.close();
        fail(Errno.ISDIR);
      }
      desc = new Descriptor(
        'directory',
        base & DIRECTORY_RIGHTS,
        inheriting,
        fdflags,
        d.readOnly,
        undefined,
        opened.directory,
      );
    }
    const newFd = s.add(desc);
    try {
      s.mem().setU32(fdPtr, newFd);
    } catch (e) {
      s.remove(newFd).close();
      throw e;
    }
    return Errno.SUCCESS;
  },

  path_readlink(
    s: HostState,
    fd: number,
    pathPtr: number,
    pathLen: number,
    buf: number,
    bufLen: number,
    bufusedPtr: number,
  ): number {
    const d = s.dir(fd, Rights.PATH_READLINK);
    const path = readPath(s, pathPtr, pathLen);
    const target = walkPath(d.dir, path, (dir, name, mustBeDir) => {
      if (mustBeDir) {
        const st = statStep(dir, name, true, true);
        if (st === FOLLOW) return FOLLOW;
        fail(Errno.INVAL);
      }
      return dir.readlink(name);
    });
    const bytes = new TextEncoder().encode(target);
    // Wasmtime answers RANGE rather than silently truncating the target.
    if (bytes.length > bufLen) fail(Errno.RANGE);
    const mem = s.mem();
    mem.bytes(buf, bytes.length).set(bytes);
    mem.setU32(bufusedPtr, bytes.length);
    return Errno.SUCCESS;
  },

  path_remove_directory(s: HostState, fd: number, pathPtr: number, pathLen: number): number {
    const d = s.dir(fd);
    refuseIfReadOnly(d);
    s.dir(fd, Rights.PATH_REMOVE_DIRECTORY);
    const path = readPath(s, pathPtr, pathLen);
    walkPath(d.dir, path, (dir, name) => dir.removeDirectory(named(name, Errno.INVAL)));
    return Errno.SUCCESS;
  },

  path_rename(
    s: HostState,
    fd: number,
    oldPtr: number,
    oldLen: number,
    newFd: number,
    newPtr: number,
    newLen: number,
  ): number {
    const from = s.dir(fd);
    const to = s.dir(newFd);
    refuseIfReadOnly(from);
    refuseIfReadOnly(to);
    s.dir(fd, Rights.PATH_RENAME_SOURCE);
    s.dir(newFd, Rights.PATH_RENAME_TARGET);
    const oldPath = readPath(s, oldPtr, oldLen);
    const newPath = readPath(s, newPtr, newLen);
    walkPath(from.dir, oldPath, (srcDir, srcName, srcMustBeDir) => {
      const src = srcDir.lookup(named(srcName, Errno.BUSY));
      if (srcMustBeDir && src.filetype !== Filetype.DIRECTORY) fail(Errno.NOTDIR);
      walkPath(to.dir, newPath, (dstDir, dstName, dstMustBeDir) => {
        if (dstMustBeDir && src.filetype !== Filetype.DIRECTORY) fail(Errno.NOTDIR);
        srcDir.rename(srcName, dstDir, named(dstName, Errno.BUSY));
      });
    });
    return Errno.SUCCESS;
  },

  path_symlink(s: HostState, oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number): number {
    const d = s.dir(fd);
    refuseIfReadOnly(d);
    s.dir(fd, Rights.PATH_SYMLINK);
    const target = readPath(s, oldPtr, oldLen);
    const path = readPath(s, newPtr, newLen);
    walkPath(d.dir, path, (dir, name, mustBeDir, depth) => {
      if (mustBeDir) fail(Errno.NOENT);
      // A link that points outside could never be followed by the guest, but it could mislead a
      // host tool that later walks the directory, so it is not created at all.
      if (symlinkEscapes(target, depth)) fail(Errno.PERM, 'symlink target leads outside the granted directory');
      dir.symlink(target, named(name, Errno.EXIST));
    });
    return Errno.SUCCESS;
  },

  path_unlink_file(s: HostState, fd: number, pathPtr: number, pathLen: number): number {
    const d = s.dir(fd);
    refuseIfReadOnly(d);
    s.dir(fd, Rights.PATH_UNLINK_FILE);
    const path = readPath(s, pathPtr, pathLen);
    walkPath(d.dir, path, (dir, name, mustBeDir) => {
      if (mustBeDir) {
        const st = statStep(dir, name, true, true);
        if (st === FOLLOW) return FOLLOW;
        fail(Errno.ISDIR);
      }
      dir.unlinkFile(named(name, Errno.ISDIR));
    });
    return Errno.SUCCESS;
  },
};
