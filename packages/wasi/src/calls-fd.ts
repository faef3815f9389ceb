import { Errno, Fdflags, Filetype, Fstflags, Rights, Whence } from './abi.js';
import { fail, WasiErrnoError } from './errors.js';
import type { FsDirEntry } from './fs/backend.js';
import { encodeUtf8 } from './memory.js';
import type { Descriptor, HostState } from './state.js';

const U64_MAX = (1n << 64n) - 1n;
const DIRENT_HEADER = 24;
const direntHeader = new Uint8Array(DIRENT_HEADER);
const direntView = new DataView(direntHeader.buffer);

/** Every mutation through a descriptor of a read-only grant answers PERM, as Wasmtime does. */
export function refuseIfReadOnly(d: Descriptor): void {
  if (d.readOnly) fail(Errno.PERM, 'the directory was granted read-only');
}

/**
 * Encodes the names of a new listing as UTF-8 in one call: one buffer for the whole listing, each
 * name a view of it (names cannot contain '/', which separates them). A name with a '/' (no
 * backend makes one) falls back to encoding each name on its own.
 */
function encodeNames(entries: FsDirEntry[]): void {
  if (entries.some((e) => e.name.includes('/'))) {
    for (const e of entries) e.encoded = encodeUtf8(e.name);
    return;
  }
  const all = encodeUtf8(entries.map((e) => e.name).join('/'));
  let start = 0;
  let k = 0;
  for (let i = 0; i <= all.length; i++) {
    if (i < all.length && all[i] !== 0x2f) continue;
    (entries[k++] as FsDirEntry).encoded = all.subarray(start, i);
    start = i + 1;
  }
}

/** Stdio are streams: positioned calls answer SPIPE before any rights check. */
function refuseStream(d: Descriptor): void {
  if (d.kind === 'stdin' || d.kind === 'stdout' || d.kind === 'stderr') fail(Errno.SPIPE);
}

export function writeFilestat(
  s: HostState,
  ptr: number,
  st: {
    dev: bigint;
    ino: bigint;
    filetype: number;
    nlink: bigint;
    size: bigint;
    atimNs: bigint;
    mtimNs: bigint;
    ctimNs: bigint;
  },
): void {
  const v = s.mem().view(ptr, 64);
  v.setBigUint64(ptr, st.dev, true);
  v.setBigUint64(ptr + 8, st.ino, true);
  v.setUint8(ptr + 16, st.filetype);
  for (let i = 17; i < 24; i++) v.setUint8(ptr + i, 0);
  v.setBigUint64(ptr + 24, st.nlink, true);
  v.setBigUint64(ptr + 32, st.size, true);
  v.setBigUint64(ptr + 40, BigInt.asUintN(64, st.atimNs), true);
  v.setBigUint64(ptr + 48, BigInt.asUintN(64, st.mtimNs), true);
  v.setBigUint64(ptr + 56, BigInt.asUintN(64, st.ctimNs), true);
}

/** Decodes `fst_flags` into the times to set (`null` = leave unchanged). */
export function timesFromFlags(s: HostState, atim: bigint, mtim: bigint, fst: number): [bigint | null, bigint | null] {
  if (fst & ~0xf) fail(Errno.INVAL);
  if (fst & Fstflags.ATIM && fst & Fstflags.ATIM_NOW) fail(Errno.INVAL);
  if (fst & Fstflags.MTIM && fst & Fstflags.MTIM_NOW) fail(Errno.INVAL);
  const now = fst & (Fstflags.ATIM_NOW | Fstflags.MTIM_NOW) ? s.clock.now(0) : 0n;
  const a = fst & Fstflags.ATIM ? BigInt.asUintN(64, atim) : fst & Fstflags.ATIM_NOW ? now : null;
  const m = fst & Fstflags.MTIM ? BigInt.asUintN(64, mtim) : fst & Fstflags.MTIM_NOW ? now : null;
  return [a, m];
}

/**
 * Moves bytes between the guest's iovecs and a file at an explicit offset (fd_pread, fd_pwrite),
 * stopping at the first short transfer; returns the bytes moved. The descriptor's position is untouched.
 */
function transferAt(
  s: HostState,
  iovs: number,
  iovsLen: number,
  offset: bigint,
  transfer: (buf: Uint8Array, position: bigint) => number,
): number {
  const mem = s.mem();
  let pos = BigInt.asUintN(64, offset);
  let total = 0;
  for (const [ptr, len] of mem.iovecs(iovs, iovsLen)) {
    if (len === 0) continue;
    const n = transfer(mem.bytes(ptr, len), pos);
    total += n;
    pos += BigInt(n);
    if (n < len) break;
  }
  return total;
}

function syncAfterWrite(d: Descriptor): void {
  if (d.flags & Fdflags.SYNC) d.file?.sync();
  else if (d.flags & Fdflags.DSYNC) d.file?.datasync();
}

export const fdCalls = {
  fd_advise(s: HostState, fd: number, _offset: bigint, _len: bigint, advice: number): number {
    s.get(fd, Rights.FD_ADVISE);
    if (advice > 5) fail(Errno.INVAL);
    return Errno.SUCCESS;
  },

  fd_allocate(s: HostState, fd: number, offset: bigint, len: bigint): number {
    const d = s.get(fd);
    refuseIfReadOnly(d);
    s.get(fd, Rights.FD_ALLOCATE);
    if (!d.file) fail(Errno.BADF);
    const o = BigInt.asUintN(64, offset);
    const l = BigInt.asUintN(64, len);
    if (l === 0n) fail(Errno.INVAL);
    const end = o + l;
    if (end > U64_MAX) fail(Errno.FBIG);
    if (end > d.file.stat().size) d.file.setSize(end);
    return Errno.SUCCESS;
  },

  fd_close(s: HostState, fd: number): number {
    s.remove(fd).close();
    return Errno.SUCCESS;
  },

  fd_datasync(s: HostState, fd: number): number {
    const d = s.get(fd, Rights.FD_DATASYNC);
    if (d.file) d.file.datasync();
    else if (d.dir) d.dir.sync();
    else fail(Errno.INVAL);
    return Errno.SUCCESS;
  },

  fd_sync(s: HostState, fd: number): number {
    const d = s.get(fd, Rights.FD_SYNC);
    if (d.file) d.file.sync();
    else if (d.dir) d.dir.sync();
    else fail(Errno.INVAL);
    return Errno.SUCCESS;
  },

  fd_fdstat_get(s: HostState, fd: number, ptr: number): number {
    const d = s.get(fd);
    const v = s.mem().view(ptr, 24);
    v.setUint8(ptr, d.filetype);
    v.setUint8(ptr + 1, 0);
    v.setUint16(ptr + 2, d.flags, true);
    v.setUint32(ptr + 4, 0, true);
    v.setBigUint64(ptr + 8, BigInt(d.rightsBase), true);
    v.setBigUint64(ptr + 16, BigInt(d.rightsInheriting), true);
    return Errno.SUCCESS;
  },

  fd_fdstat_set_flags(s: HostState, fd: number, flags: number): number {
    const d = s.get(fd, Rights.FD_FDSTAT_SET_FLAGS);
    if (flags & ~0x1f) fail(Errno.INVAL);
    if (d.readOnly && flags & Fdflags.APPEND) fail(Errno.PERM);
    d.flags = flags;
    return Errno.SUCCESS;
  },

  fd_fdstat_set_rights(s: HostState, fd: number, base: bigint, inheriting: bigint): number {
    const d = s.get(fd);
    const b = BigInt.asUintN(64, base);
    const i = BigInt.asUintN(64, inheriting);
    // Rights can only be dropped: asking for one the descriptor lacks is NOTCAPABLE.
    if ((b & ~BigInt(d.rightsBase)) !== 0n || (i & ~BigInt(d.rightsInheriting)) !== 0n) fail(Errno.NOTCAPABLE);
    d.rightsBase = Number(b);
    d.rightsInheriting = Number(i);
    return Errno.SUCCESS;
  },

  fd_filestat_get(s: HostState, fd: number, ptr: number): number {
    const d = s.get(fd, Rights.FD_FILESTAT_GET);
    const st = d.file?.stat() ??
      d.dir?.stat() ?? {
        dev: 0n,
        ino: 0n,
        filetype: Filetype.CHARACTER_DEVICE,
        nlink: 1n,
        size: 0n,
        atimNs: 0n,
        mtimNs: 0n,
        ctimNs: 0n,
      };
    writeFilestat(s, ptr, st);
    return Errno.SUCCESS;
  },

  fd_filestat_set_size(s: HostState, fd: number, size: bigint): number {
    const d = s.get(fd);
    refuseIfReadOnly(d);
    s.get(fd, Rights.FD_FILESTAT_SET_SIZE);
    if (!d.file) fail(Errno.BADF);
    d.file.setSize(BigInt.asUintN(64, size));
    return Errno.SUCCESS;
  },

  fd_filestat_set_times(s: HostState, fd: number, atim: bigint, mtim: bigint, fst: number): number {
    const d = s.get(fd);
    refuseIfReadOnly(d);
    s.get(fd, Rights.FD_FILESTAT_SET_TIMES);
    const [a, m] = timesFromFlags(s, atim, mtim, fst);
    if (d.file) d.file.setTimes(a, m);
    else if (d.dir) d.dir.setTimes('.', a, m);
    else fail(Errno.BADF);
    return Errno.SUCCESS;
  },

  fd_pread(s: HostState, fd: number, iovs: number, iovsLen: number, offset: bigint, nreadPtr: number): number {
    const d = s.get(fd);
    refuseStream(d);
    s.get(fd, Rights.FD_READ | Rights.FD_SEEK);
    if (!d.file) fail(Errno.ISDIR);
    const file = d.file;
    const mem = s.mem();
    mem.setU32(
      nreadPtr,
      transferAt(s, iovs, iovsLen, offset, (buf, pos) => file.read(buf, pos)),
    );
    return Errno.SUCCESS;
  },

  fd_pwrite(s: HostState, fd: number, iovs: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number {
    const d = s.get(fd);
    refuseStream(d);
    refuseIfReadOnly(d);
    s.get(fd, Rights.FD_WRITE | Rights.FD_SEEK);
    if (!d.file) fail(Errno.ISDIR);
    const file = d.file;
    const total = transferAt(s, iovs, iovsLen, offset, (buf, pos) => file.write(buf, pos));
    syncAfterWrite(d);
    s.mem().setU32(nwrittenPtr, total);
    return Errno.SUCCESS;
  },

  fd_read(s: HostState, fd: number, iovs: number, iovsLen: number, nreadPtr: number): number {
    // The type of an unverified open only matters if the read fails with ISDIR.
    const d = s.get(fd, Rights.FD_READ, false);
    const mem = s.mem();
    let total = 0;
    if (d.kind === 'stdin') {
      for (const [ptr, len] of mem.iovecs(iovs, iovsLen)) {
        const n = Math.min(len, s.stdin.length - s.stdinOffset);
        mem.bytes(ptr, n).set(s.stdin.subarray(s.stdinOffset, s.stdinOffset + n));
        s.stdinOffset += n;
        total += n;
        if (n < len) break;
      }
    } else if (d.file) {
      const view = mem.view(iovs, iovsLen * 8);
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        if (len === 0) continue;
        let n: number;
        try {
          n = d.file.read(mem.bytes(ptr, len), d.position);
        } catch (e) {
          if (d.unverified && e instanceof WasiErrnoError && e.errno === Errno.ISDIR) s.get(fd, Rights.FD_READ);
          throw e;
        }
        total += n;
        d.position += BigInt(n);
        if (n < len) break;
      }
    } else fail(Errno.ISDIR);
    mem.setU32(nreadPtr, total);
    return Errno.SUCCESS;
  },

  fd_write(s: HostState, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
    const d = s.get(fd);
    if (d.kind === 'file') refuseIfReadOnly(d);
    if ((d.rightsBase & Rights.FD_WRITE) === 0) fail(Errno.NOTCAPABLE);
    const mem = s.mem();
    let total = 0;
    if (d.kind === 'stdout' || d.kind === 'stderr') {
      const sink = d.kind === 'stdout' ? s.stdout : s.stderr;
      for (const [ptr, len] of mem.iovecs(iovs, iovsLen)) {
        if (len === 0) continue;
        sink.write(mem.bytes(ptr, len));
        total += len;
      }
    } else if (d.file) {
      if (d.flags & Fdflags.APPEND) d.position = d.file.stat().size;
      const view = mem.view(iovs, iovsLen * 8);
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        if (len === 0) continue;
        const n = d.file.write(mem.bytes(ptr, len), d.position);
        total += n;
        d.position += BigInt(n);
        if (n < len) break;
      }
      syncAfterWrite(d);
    } else fail(Errno.ISDIR);
    mem.setU32(nwrittenPtr, total);
    return Errno.SUCCESS;
  },

  fd_prestat_get(s: HostState, fd: number, ptr: number): number {
    const d = s.get(fd);
    if (d.preopenName === undefined) fail(Errno.BADF);
    const mem = s.mem();
    mem.setU32(ptr, 0);
    mem.setU32(ptr + 4, encodeUtf8(d.preopenName).length);
    return Errno.SUCCESS;
  },

  fd_prestat_dir_name(s: HostState, fd: number, ptr: number, len: number): number {
    const d = s.get(fd);
    if (d.preopenName === undefined) fail(Errno.BADF);
    const name = encodeUtf8(d.preopenName);
    if (len < name.length) fail(Errno.NAMETOOLONG);
    s.mem().bytes(ptr, name.length).set(name);
    return Errno.SUCCESS;
  },

  fd_readdir(s: HostState, fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number): number {
    const d = s.get(fd);
    if (!d.dir) fail(Errno.NOTDIR);
    s.get(fd, Rights.FD_READDIR);
    const c = BigInt.asUintN(64, cookie);
    if (c === 0n || !d.listing) {
      const entries: FsDirEntry[] = [
        { name: '.', filetype: Filetype.DIRECTORY, ino: d.dir.stat().ino },
        { name: '..', filetype: Filetype.DIRECTORY, ino: d.dir.parentIno() },
      ];
      for (const e of d.dir.readdir()) entries.push(e);
      encodeNames(entries);
      d.listing = { entries };
    }
    const entries = d.listing.entries;
    const mem = s.mem();
    const out = mem.bytes(buf, bufLen);
    const first = c > BigInt(entries.length) ? entries.length : Number(c);
    let used = 0;
    for (let i = first; i < entries.length && used < bufLen; i++) {
      const e = entries[i] as FsDirEntry;
      if (e.ino === undefined) {
        try {
          e.ino = d.dir.lookup(e.name).ino;
        } catch {
          e.ino = 0n;
        }
      }
      const name = e.encoded ?? encodeUtf8(e.name);
      e.encoded = name;
      const header = direntHeader;
      const hv = direntView;
      hv.setBigUint64(0, BigInt(i + 1), true);
      hv.setBigUint64(8, e.ino, true);
      hv.setUint32(16, name.length, true);
      hv.setUint8(20, e.filetype);
      // An entry that does not fit is cut off; the guest sees bufused == buf_len and asks again.
      const h = Math.min(DIRENT_HEADER, bufLen - used);
      out.set(h === DIRENT_HEADER ? header : header.subarray(0, h), used);
      used += h;
      const n = Math.min(name.length, bufLen - used);
      if (n > 0) out.set(n === name.length ? name : name.subarray(0, n), used);
      used += n;
    }
    mem.setU32(bufusedPtr, used);
    return Errno.SUCCESS;
  },

  fd_renumber(s: HostState, from: number, to: number): number {
    const d = s.get(from);
    s.get(to);
    if (from === to) return Errno.SUCCESS;
    s.remove(to).close();
    s.remove(from);
    s.place(to, d);
    return Errno.SUCCESS;
  },

  fd_seek(s: HostState, fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
    const d = s.get(fd);
    refuseStream(d);
    const tellOnly = whence === Whence.CUR && offset === 0n;
    s.get(fd, tellOnly ? Rights.FD_TELL : Rights.FD_SEEK);
    if (!d.file) fail(Errno.ISDIR);
    let base: bigint;
    if (whence === Whence.SET) base = 0n;
    else if (whence === Whence.CUR) base = d.position;
    else if (whence === Whence.END) base = d.file.stat().size;
    else return fail(Errno.INVAL);
    const next = base + offset;
    if (next < 0n) fail(Errno.INVAL);
    if (next > U64_MAX) fail(Errno.OVERFLOW);
    d.position = next;
    s.mem().setU64(newOffsetPtr, next);
    return Errno.SUCCESS;
  },

  fd_tell(s: HostState, fd: number, ptr: number): number {
    const d = s.get(fd);
    refuseStream(d);
    s.get(fd, Rights.FD_TELL);
    if (!d.file) fail(Errno.ISDIR);
    s.mem().setU64(ptr, d.position);
    return Errno.SUCCESS;
  },
};
