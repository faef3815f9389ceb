import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DirectoryLister,
  Errno,
  Fdflags,
  Filetype,
  Fstflags,
  HostDirectory,
  type HostDirectoryOptions,
  Rights,
  WasiHost,
  Whence,
} from '../src/index.js';
import { compileWat, FIXTURES, type FsFixture, type Guest, makeGuest, READ_RIGHTS } from './helpers.js';

describe.each(FIXTURES)('fd_* on %s', (_name, makeFixture) => {
  let fx: FsFixture;
  afterEach(() => fx.cleanup());

  async function setup(files: Record<string, string> = {}): Promise<Guest> {
    fx = makeFixture();
    for (const [p, c] of Object.entries(files)) fx.write(p, c);
    return makeGuest({ preopens: [{ guestPath: '/work', backend: fx.backend }] });
  }

  function openRw(g: Guest, path: string, oflags = 1): number {
    const o = g.open(3, path, { oflags });
    expect(o.errno).toBe(0);
    return o.fd;
  }

  it('fd_prestat_get / fd_prestat_dir_name describe the preopen, BADF elsewhere', async () => {
    const g = await setup();
    expect(g.call.fd_prestat_get(3, 0)).toBe(0);
    expect(g.u8(0)).toBe(0);
    expect(g.u32(4)).toBe(5);
    expect(g.call.fd_prestat_dir_name(3, 100, 5)).toBe(0);
    expect(g.text(100, 5)).toBe('/work');
    expect(g.call.fd_prestat_dir_name(3, 100, 4)).toBe(Errno.NAMETOOLONG);
    expect(g.call.fd_prestat_get(1, 0)).toBe(Errno.BADF);
    expect(g.call.fd_prestat_get(4, 0)).toBe(Errno.BADF);
    const fd = openRw(g, 'x');
    expect(g.call.fd_prestat_dir_name(fd, 100, 10)).toBe(Errno.BADF);
  });

  it('fd_write / fd_read move the offset; fd_read returns 0 at the end', async () => {
    const g = await setup();
    const fd = openRw(g, 'f');
    expect(g.write(fd, 'hello')).toEqual({ errno: 0, n: 5 });
    expect(g.read(fd).text).toBe('');
    expect(g.call.fd_seek(fd, 0n, Whence.SET, 0)).toBe(0);
    expect(g.read(fd, 3).text).toBe('hel');
    expect(g.read(fd, 10).text).toBe('lo');
  });

  it('fd_read / fd_write scatter and gather over several iovecs', async () => {
    const g = await setup({ f: 'abcdefgh' });
    const fd = g.open(3, 'f').fd;
    const iov = g.alloc(24);
    const v = g.view();
    [
      [2000, 3],
      [2100, 0],
      [2200, 10],
    ].forEach(([p, l], i) => {
      v.setUint32(iov + i * 8, p as number, true);
      v.setUint32(iov + i * 8 + 4, l as number, true);
    });
    expect(g.call.fd_read(fd, iov, 3, 0)).toBe(0);
    expect(g.u32(0)).toBe(8);
    expect(g.text(2000, 3) + g.text(2200, 5)).toBe('abcdefgh');
    const w = openRw(g, 'g');
    expect(g.call.fd_write(w, iov, 3, 0)).toBe(0);
    expect(g.u32(0)).toBe(13);
  });

  it('fd_seek: SET, CUR, END, past the end (a hole reads as zeros), negative and bad whence', async () => {
    const g = await setup({ f: '0123456789' });
    const fd = openRw(g, 'f', 0);
    expect(g.call.fd_seek(fd, 4n, Whence.SET, 0)).toBe(0);
    expect(g.u64(0)).toBe(4n);
    expect(g.call.fd_seek(fd, 2n, Whence.CUR, 0)).toBe(0);
    expect(g.u64(0)).toBe(6n);
    expect(g.call.fd_seek(fd, -3n, Whence.END, 0)).toBe(0);
    expect(g.u64(0)).toBe(7n);
    expect(g.call.fd_seek(fd, -8n, Whence.CUR, 0)).toBe(Errno.INVAL);
    expect(g.call.fd_seek(fd, 0n, 3, 0)).toBe(Errno.INVAL);
    expect(g.call.fd_seek(fd, 14n, Whence.SET, 0)).toBe(0);
    g.write(fd, 'X');
    expect(g.fstat(fd).stat.size).toBe(15n);
    g.call.fd_seek(fd, 10n, Whence.SET, 0);
    expect([...g.read(fd).bytes]).toEqual([0, 0, 0, 0, 88]);
  });

  it('fd_tell reports the offset', async () => {
    const g = await setup({ f: 'abc' });
    const fd = g.open(3, 'f').fd;
    g.read(fd, 2);
    expect(g.call.fd_tell(fd, 0)).toBe(0);
    expect(g.u64(0)).toBe(2n);
  });

  it('fd_pread / fd_pwrite use the given offset and leave the file offset alone', async () => {
    const g = await setup({ f: 'abcdef' });
    const fd = openRw(g, 'f', 0);
    const [p, l] = g.put('XY');
    const iov = g.alloc(8);
    g.view().setUint32(iov, p, true);
    g.view().setUint32(iov + 4, l, true);
    expect(g.call.fd_pwrite(fd, iov, 1, 2n, 0)).toBe(0);
    expect(g.u32(0)).toBe(2);
    const buf = g.alloc(16);
    g.view().setUint32(iov, buf, true);
    g.view().setUint32(iov + 4, 16, true);
    expect(g.call.fd_pread(fd, iov, 1, 1n, 0)).toBe(0);
    expect(g.text(buf, g.u32(0))).toBe('bXYef');
    g.call.fd_tell(fd, 0);
    expect(g.u64(0)).toBe(0n);
    expect(fx.read('f')).toBe('abXYef');
  });

  it('fd_close: closes once, then BADF', async () => {
    const g = await setup({ f: 'x' });
    const fd = g.open(3, 'f').fd;
    expect(g.call.fd_close(fd)).toBe(0);
    expect(g.call.fd_close(fd)).toBe(Errno.BADF);
    expect(g.read(fd).errno).toBe(Errno.BADF);
  });

  it('fd_renumber moves a descriptor over another; BADF when either is closed', async () => {
    const g = await setup({ a: 'AAA', b: 'BBB' });
    const a = g.open(3, 'a').fd;
    const b = g.open(3, 'b').fd;
    expect(g.call.fd_renumber(a, b)).toBe(0);
    expect(g.read(b).text).toBe('AAA');
    expect(g.read(a).errno).toBe(Errno.BADF);
    expect(g.call.fd_renumber(a, b)).toBe(Errno.BADF);
    expect(g.call.fd_renumber(b, 50)).toBe(Errno.BADF);
    expect(g.call.fd_renumber(b, b)).toBe(0);
  });

  it('fd_fdstat_get reports type, flags and rights; fd_fdstat_set_flags toggles APPEND', async () => {
    const g = await setup({ f: 'abc' });
    const fd = openRw(g, 'f', 0);
    expect(g.call.fd_fdstat_get(fd, 0)).toBe(0);
    expect(g.u8(0)).toBe(Filetype.REGULAR_FILE);
    expect(g.u16(2)).toBe(0);
    expect(g.u64(8) & BigInt(Rights.FD_WRITE)).not.toBe(0n);
    expect(g.call.fd_fdstat_set_flags(fd, Fdflags.APPEND)).toBe(0);
    expect(g.write(fd, 'Z').errno).toBe(0);
    expect(fx.read('f')).toBe('abcZ');
    g.call.fd_fdstat_get(fd, 0);
    expect(g.u16(2)).toBe(Fdflags.APPEND);
    expect(g.call.fd_fdstat_set_flags(fd, 0x100)).toBe(Errno.INVAL);
    expect(g.call.fd_fdstat_get(3, 0)).toBe(0);
    expect(g.u8(0)).toBe(Filetype.DIRECTORY);
  });

  it('fd_fdstat_set_rights only drops rights; a dropped right is NOTCAPABLE', async () => {
    const g = await setup({ f: 'abc' });
    const fd = openRw(g, 'f', 0);
    g.call.fd_fdstat_get(fd, 0);
    const base = g.u64(8);
    expect(g.call.fd_fdstat_set_rights(fd, base & ~BigInt(Rights.FD_WRITE), 0n)).toBe(0);
    expect(g.write(fd, 'x').errno).toBe(Errno.NOTCAPABLE);
    expect(g.read(fd).text).toBe('abc');
    expect(g.call.fd_fdstat_set_rights(fd, base, 0n)).toBe(Errno.NOTCAPABLE);
    expect(g.call.fd_fdstat_set_rights(99, 0n, 0n)).toBe(Errno.BADF);
    // Dropping PATH_OPEN from the preopen stops every open through it.
    g.call.fd_fdstat_get(3, 0);
    expect(g.call.fd_fdstat_set_rights(3, g.u64(8) & ~BigInt(Rights.PATH_OPEN), g.u64(16))).toBe(0);
    expect(g.open(3, 'f').errno).toBe(Errno.NOTCAPABLE);
  });

  it('rights requested beyond the directory inheriting set are not granted', async () => {
    const g = await setup({ f: 'abc' });
    g.call.fd_fdstat_get(3, 0);
    expect(g.call.fd_fdstat_set_rights(3, g.u64(8), g.u64(16) & ~BigInt(Rights.FD_SEEK))).toBe(0);
    const fd = g.open(3, 'f', { rights: READ_RIGHTS }).fd;
    expect(g.call.fd_seek(fd, 1n, Whence.SET, 0)).toBe(Errno.NOTCAPABLE);
  });

  it('fd_filestat_get / fd_filestat_set_size: truncate and extend', async () => {
    const g = await setup({ f: 'abcdef' });
    const fd = openRw(g, 'f', 0);
    const st = g.fstat(fd);
    expect(st.errno).toBe(0);
    expect(st.stat).toMatchObject({ filetype: Filetype.REGULAR_FILE, size: 6n, nlink: 1n });
    expect(g.call.fd_filestat_set_size(fd, 2n)).toBe(0);
    expect(fx.read('f')).toBe('ab');
    expect(g.call.fd_filestat_set_size(fd, 4n)).toBe(0);
    expect(fx.read('f')).toBe('ab\0\0');
    expect(g.call.fd_filestat_set_size(3, 0n)).toBe(Errno.NOTCAPABLE);
  });

  it('fd_filestat_set_times sets explicit times; conflicting flags are INVAL', async () => {
    const g = await setup({ f: 'x' });
    const fd = openRw(g, 'f', 0);
    const t = 1_600_000_000_000_000_000n;
    expect(g.call.fd_filestat_set_times(fd, t, t + 5_000_000_000n, Fstflags.ATIM | Fstflags.MTIM)).toBe(0);
    const st = g.fstat(fd).stat;
    expect(st.atim).toBe(t);
    expect(st.mtim).toBe(t + 5_000_000_000n);
    expect(g.call.fd_filestat_set_times(fd, 0n, 0n, Fstflags.ATIM | Fstflags.ATIM_NOW)).toBe(Errno.INVAL);
    expect(g.call.fd_filestat_set_times(fd, 0n, 0n, Fstflags.MTIM | Fstflags.MTIM_NOW)).toBe(Errno.INVAL);
    expect(g.call.fd_filestat_set_times(fd, 0n, 0n, 0x10)).toBe(Errno.INVAL);
    expect(g.call.fd_filestat_set_times(fd, 0n, 0n, Fstflags.MTIM_NOW)).toBe(0);
    expect(g.fstat(fd).stat.atim).toBe(t);
  });

  it('fd_advise accepts the six advice values; fd_allocate extends; len 0 is INVAL', async () => {
    const g = await setup({ f: 'abc' });
    const fd = openRw(g, 'f', 0);
    for (let a = 0; a <= 5; a++) expect(g.call.fd_advise(fd, 0n, 10n, a)).toBe(0);
    expect(g.call.fd_advise(fd, 0n, 10n, 6)).toBe(Errno.INVAL);
    expect(g.call.fd_allocate(fd, 2n, 8n)).toBe(0);
    expect(g.fstat(fd).stat.size).toBe(10n);
    expect(g.call.fd_allocate(fd, 0n, 4n)).toBe(0);
    expect(g.fstat(fd).stat.size).toBe(10n);
    expect(g.call.fd_allocate(fd, 0n, 0n)).toBe(Errno.INVAL);
  });

  it('fd_sync / fd_datasync succeed on files and directories', async () => {
    const g = await setup({ f: 'abc' });
    const fd = openRw(g, 'f', 0);
    expect(g.call.fd_sync(fd)).toBe(0);
    expect(g.call.fd_datasync(fd)).toBe(0);
    expect(g.call.fd_sync(3)).toBe(0);
    expect(g.call.fd_sync(77)).toBe(Errno.BADF);
  });

  it('a directory descriptor has no read, write or seek rights', async () => {
    const g = await setup();
    expect(g.read(3).errno).toBe(Errno.NOTCAPABLE);
    expect(g.write(3, 'x').errno).toBe(Errno.NOTCAPABLE);
    expect(g.call.fd_seek(3, 0n, Whence.SET, 0)).toBe(Errno.NOTCAPABLE);
    const dir = g.open(3, '.', { oflags: 0, rights: READ_RIGHTS });
    expect(dir.errno).toBe(0);
    expect(g.read(dir.fd).errno).toBe(Errno.NOTCAPABLE);
    g.call.fd_fdstat_get(dir.fd, 0);
    expect(g.u8(0)).toBe(Filetype.DIRECTORY);
  });

  it('fd_readdir lists . and .., types and inodes, resumes from cookies with any buffer size', async () => {
    const g = await setup({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    fx.symlink('a.txt', 'link');
    const dir = g.open(3, '.', { oflags: 2, rights: READ_RIGHTS }).fd;
    for (const size of [30, 40, 128, 4096]) {
      const { errno, entries } = g.readdir(dir, size);
      expect(errno).toBe(0);
      const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
      expect(Object.keys(byName).sort()).toEqual(['.', '..', 'a.txt', 'link', 'sub']);
      expect(byName['a.txt']?.type).toBe(Filetype.REGULAR_FILE);
      expect(byName.sub?.type).toBe(Filetype.DIRECTORY);
      expect(byName.link?.type).toBe(Filetype.SYMBOLIC_LINK);
      expect(byName['.']?.type).toBe(Filetype.DIRECTORY);
      expect(byName['a.txt']?.ino).toBe(g.stat(3, 'a.txt').stat.ino);
      expect(byName['.']?.ino).toBe(g.fstat(dir).stat.ino);
      expect(entries.map((e) => e.next)).toEqual(entries.map((_, i) => BigInt(i + 1)));
    }
    // A cookie past the end yields nothing.
    expect(g.call.fd_readdir(dir, 2000, 100, 999n, 0)).toBe(0);
    expect(g.u32(0)).toBe(0);
    expect(g.call.fd_readdir(g.open(3, 'a.txt').fd, 2000, 100, 0n, 0)).toBe(Errno.NOTDIR);
  });

  it('fd_readdir returns non-ASCII names intact, each with its own length', async () => {
    const names = ['é.txt', '日本', 'a', 'ü-ß-😀'];
    const g = await setup(Object.fromEntries(names.map((n) => [n, n])));
    const dir = g.open(3, '.', { oflags: 2, rights: READ_RIGHTS }).fd;
    for (const size of [40, 4096]) {
      const { errno, entries } = g.readdir(dir, size);
      expect(errno).toBe(0);
      expect(entries.map((e) => e.name).sort()).toEqual(['.', '..', ...names].sort());
    }
  });

  it('fd_readdir of a held directory reports its own inodes after it is moved and its name reused', async () => {
    const g = await setup({ 'sub/b.txt': 'b', 'sub/c.txt': 'c' });
    const dir = g.open(3, 'sub', { oflags: 2, rights: READ_RIGHTS }).fd;
    expect(g.rename(3, 'sub', 3, 'moved')).toBe(0);
    fx.write('sub/b.txt', 'a new file under the old name');
    const { errno, entries } = g.readdir(dir, 4096);
    if (fx.kind === 'host-paths') {
      // Without /proc the held directory is reached by its path, which now leads elsewhere.
      expect(errno).not.toBe(0);
      return;
    }
    expect(errno).toBe(0);
    const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['.', '..', 'b.txt', 'c.txt']);
    expect(byName['b.txt']?.ino).toBe(g.stat(3, 'moved/b.txt').stat.ino);
    expect(byName['b.txt']?.ino).not.toBe(g.stat(3, 'sub/b.txt').stat.ino);
    expect(byName['c.txt']?.ino).toBe(g.stat(3, 'moved/c.txt').stat.ino);
  });

  it('`.` opened from the preopen lists the preopen itself, `..` included', async () => {
    const g = await setup({ a: 'a', 'sub/b': 'b' });
    const byName = (fd: number) => {
      const { errno, entries } = g.readdir(fd, 4096);
      expect(errno).toBe(0);
      return Object.fromEntries(entries.map((e) => [e.name, e.ino]));
    };
    const root = byName(3);
    const dot = byName(g.open(3, '.', { oflags: 2, rights: READ_RIGHTS }).fd);
    // C's opendir("/work") opens the preopen as `.`: the same directory, so the same answers,
    // and no inode from above the grant.
    expect(dot).toEqual(root);
    expect(dot['..']).toBe(dot['.']);
    expect(dot.a).toBe(g.stat(3, 'a').stat.ino);
    const sub = g.open(3, 'sub', { oflags: 2, rights: READ_RIGHTS }).fd;
    const inSub = byName(g.open(sub, '.', { oflags: 2, rights: READ_RIGHTS }).fd);
    expect(inSub['.']).toBe(g.stat(3, 'sub').stat.ino);
    expect(inSub['..']).toBe(root['.']);
    expect(inSub.b).toBe(g.stat(3, 'sub/b').stat.ino);
  });

  it('unlinking an open file keeps it readable through the descriptor', async () => {
    const g = await setup({ f: 'still here' });
    const fd = g.open(3, 'f').fd;
    expect(g.pathCall('path_unlink_file', 3, 'f')).toBe(0);
    expect(fx.exists('f')).toBe(false);
    expect(g.read(fd).text).toBe('still here');
    expect(g.fstat(fd).stat.nlink).toBe(0n);
  });

  it('BADF for descriptors never opened, on every fd_* call', async () => {
    const g = await setup();
    const bad = 64;
    expect(g.call.fd_advise(bad, 0n, 0n, 0)).toBe(Errno.BADF);
    expect(g.call.fd_allocate(bad, 0n, 1n)).toBe(Errno.BADF);
    expect(g.call.fd_close(bad)).toBe(Errno.BADF);
    expect(g.call.fd_datasync(bad)).toBe(Errno.BADF);
    expect(g.call.fd_fdstat_get(bad, 0)).toBe(Errno.BADF);
    expect(g.call.fd_fdstat_set_flags(bad, 0)).toBe(Errno.BADF);
    expect(g.call.fd_filestat_get(bad, 0)).toBe(Errno.BADF);
    expect(g.call.fd_filestat_set_size(bad, 0n)).toBe(Errno.BADF);
    expect(g.call.fd_filestat_set_times(bad, 0n, 0n, 0)).toBe(Errno.BADF);
    expect(g.call.fd_pread(bad, 0, 0, 0n, 0)).toBe(Errno.BADF);
    expect(g.call.fd_pwrite(bad, 0, 0, 0n, 0)).toBe(Errno.BADF);
    expect(g.call.fd_read(bad, 0, 0, 0)).toBe(Errno.BADF);
    expect(g.call.fd_readdir(bad, 0, 0, 0n, 0)).toBe(Errno.BADF);
    expect(g.call.fd_seek(bad, 0n, 0, 0)).toBe(Errno.BADF);
    expect(g.call.fd_sync(bad)).toBe(Errno.BADF);
    expect(g.call.fd_tell(bad, 0)).toBe(Errno.BADF);
    expect(g.call.fd_write(bad, 0, 0, 0)).toBe(Errno.BADF);
    expect(g.call.fd_prestat_dir_name(bad, 0, 0)).toBe(Errno.BADF);
  });
});

describe('fd_readdir with a native lister', () => {
  let tmp: string;
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** A lister built on Node that reads the held directory through /proc, as the addon's does. */
  function procLister(calls: number[]): DirectoryLister {
    return (fd) => {
      calls.push(fd);
      const base = `/proc/self/fd/${fd}/`;
      const names = readdirSync(base);
      const inodes = names.map((n) => lstatSync(base + n, { bigint: true }).ino);
      const filetypes = names.map((n) => {
        const s = lstatSync(base + n);
        return s.isDirectory()
          ? Filetype.DIRECTORY
          : s.isSymbolicLink()
            ? Filetype.SYMBOLIC_LINK
            : Filetype.REGULAR_FILE;
      });
      return { names, inodes, filetypes };
    };
  }

  async function setup(options: HostDirectoryOptions): Promise<Guest> {
    tmp = mkdtempSync(join(tmpdir(), 'portalis-lister-'));
    mkdirSync(join(tmp, 'sub'));
    writeFileSync(join(tmp, 'sub', 'a.txt'), 'a');
    writeFileSync(join(tmp, 'é.txt'), 'e');
    symlinkSync('sub/a.txt', join(tmp, 'link'));
    return makeGuest({ preopens: [{ guestPath: '/work', backend: new HostDirectory(tmp, options) }] });
  }

  function listing(g: Guest, path: string) {
    const dir = g.open(3, path, { oflags: 2, rights: READ_RIGHTS }).fd;
    const { errno, entries } = g.readdir(dir, 64);
    expect(errno).toBe(0);
    return Object.fromEntries(entries.map((e) => [e.name, { ino: e.ino, type: e.type }]));
  }

  it.runIf(existsSync('/proc/self/fd'))(
    'takes names, inodes and types from the lister, for the root and below',
    async () => {
      const calls: number[] = [];
      const g = await setup({ lister: procLister(calls) });
      const root = listing(g, '.');
      expect(calls).toHaveLength(1);
      expect(Object.keys(root).sort()).toEqual(['.', '..', 'link', 'sub', 'é.txt']);
      expect(root['é.txt']).toEqual({ ino: g.stat(3, 'é.txt').stat.ino, type: Filetype.REGULAR_FILE });
      expect(root.link?.type).toBe(Filetype.SYMBOLIC_LINK);
      expect(root.sub).toEqual({ ino: g.stat(3, 'sub').stat.ino, type: Filetype.DIRECTORY });
      const sub = listing(g, 'sub');
      expect(calls).toHaveLength(2);
      expect(sub['a.txt']?.ino).toBe(g.stat(3, 'sub/a.txt').stat.ino);
    },
  );

  it('falls back to lstats when the lister throws or answers with mismatched lengths', async () => {
    let answer: 'throw' | 'short' = 'throw';
    const g = await setup({
      lister: () => {
        if (answer === 'throw') throw new Error('no /proc here');
        return { names: ['ghost'], inodes: [], filetypes: [] };
      },
    });
    const first = listing(g, '.');
    answer = 'short';
    const second = listing(g, 'sub');
    expect(Object.keys(first).sort()).toEqual(['.', '..', 'link', 'sub', 'é.txt']);
    expect(first['é.txt']?.ino).toBe(g.stat(3, 'é.txt').stat.ino);
    expect(Object.keys(second).sort()).toEqual(['.', '..', 'a.txt']);
    expect(second['a.txt']?.ino).toBe(g.stat(3, 'sub/a.txt').stat.ino);
  });

  it('is not asked in path mode (no /proc), nor when inodes are off', async () => {
    const calls: number[] = [];
    const g = await setup({ useProcFd: false, lister: procLister(calls) });
    expect(listing(g, 'sub')['a.txt']?.ino).toBe(g.stat(3, 'sub/a.txt').stat.ino);
    const h = await setup({ readdirInodes: false, lister: procLister(calls) });
    expect(listing(h, 'sub')['a.txt']?.ino).toBe(0n);
    expect(calls).toEqual([]);
  });
});

describe('a directory listing as wasi-libc readdir() makes it (fixtures/wasi/file-heavy.wat)', () => {
  let tmp: string;
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** Runs list_dir_libc over a fresh directory of `n` files; counts the guest's stat calls. */
  async function listLikeLibc(options: HostDirectoryOptions, n: number): Promise<{ entries: number; stats: number }> {
    tmp = mkdtempSync(join(tmpdir(), 'portalis-libc-list-'));
    for (let i = 0; i < n; i++) writeFileSync(join(tmp, `f${i}`), 'x');
    const module = await compileWat(
      readFileSync(new URL('../../../fixtures/wasi/file-heavy.wat', import.meta.url), 'utf8'),
    );
    const host = new WasiHost({ preopens: [{ guestPath: '/data', backend: new HostDirectory(tmp, options) }] });
    const wasi = { ...host.imports.wasi_snapshot_preview1 };
    let stats = 0;
    const stat = wasi.path_filestat_get;
    wasi.path_filestat_get = (...args: never[]) => {
      stats++;
      return stat(...args);
    };
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi });
    host.initialize(instance);
    const entries = (instance.exports.list_dir_libc as () => number)();
    host.close();
    return { entries, stats };
  }

  it('with real inodes the guest stats nothing; with d_ino 0 it stats every entry but . and ..', async () => {
    // 2,000 entries fill more than one of the guest's 32 KiB buffers, so it resumes by cookie.
    // This is what the benchmark's libc row relies on.
    expect(await listLikeLibc({}, 2000)).toEqual({ entries: 2002, stats: 0 });
    expect(await listLikeLibc({ readdirInodes: false }, 2000)).toEqual({ entries: 2002, stats: 2000 });
  });
});
