import { afterEach, describe, expect, it } from 'vitest';
import { Errno, Filetype, Fstflags, Oflags } from '../src/index.js';
import { FIXTURES, type FsFixture, type Guest, makeGuest, READ_RIGHTS } from './helpers.js';

describe.each(FIXTURES)('path_* on %s', (_name, makeFixture) => {
  let fx: FsFixture;
  afterEach(() => fx.cleanup());

  async function setup(files: Record<string, string> = {}): Promise<Guest> {
    fx = makeFixture();
    for (const [p, c] of Object.entries(files)) fx.write(p, c);
    return makeGuest({ preopens: [{ guestPath: '/work', backend: fx.backend }] });
  }

  describe('path_open', () => {
    it('opens, creates, truncates; EXCL refuses an existing file', async () => {
      const g = await setup({ f: 'abc' });
      expect(g.readFile(3, 'f')).toEqual({ errno: 0, text: 'abc' });
      expect(g.open(3, 'new', { oflags: Oflags.CREAT }).errno).toBe(0);
      expect(fx.read('new')).toBe('');
      expect(g.open(3, 'f', { oflags: Oflags.CREAT | Oflags.EXCL }).errno).toBe(Errno.EXIST);
      expect(g.open(3, 'f', { oflags: Oflags.TRUNC }).errno).toBe(0);
      expect(fx.read('f')).toBe('');
      expect(g.open(3, 'missing').errno).toBe(Errno.NOENT);
    });

    it('O_DIRECTORY: NOTDIR on a file, INVAL with CREAT; a directory opens without it too', async () => {
      const g = await setup({ f: 'x', 'd/g': 'y' });
      expect(g.open(3, 'f', { oflags: Oflags.DIRECTORY }).errno).toBe(Errno.NOTDIR);
      expect(g.open(3, 'd2', { oflags: Oflags.DIRECTORY | Oflags.CREAT }).errno).toBe(Errno.INVAL);
      const d = g.open(3, 'd', { oflags: Oflags.DIRECTORY, rights: READ_RIGHTS });
      expect(d.errno).toBe(0);
      expect(g.readFile(d.fd, 'g').text).toBe('y');
      const d2 = g.open(3, 'd', { rights: READ_RIGHTS });
      expect(d2.errno).toBe(0);
      g.call.fd_fdstat_get(d2.fd, 0);
      expect(g.u8(0)).toBe(Filetype.DIRECTORY);
      expect(g.readFile(d2.fd, 'g').text).toBe('y');
      expect(g.open(3, 'd').errno).toBe(Errno.ISDIR);
      expect(g.open(3, 'd', { oflags: Oflags.DIRECTORY }).errno).toBe(Errno.ISDIR);
    });

    it('handles the interesting paths of the Wasmtime suite', async () => {
      const g = await setup({ 'dir/nested/file': 'deep' });
      expect(g.readFile(3, 'dir/.//nested/../../dir/nested/../nested///./file')).toEqual({ errno: 0, text: 'deep' });
      expect(g.open(3, 'dir/nested/file/').errno).toBe(Errno.NOTDIR);
      expect(g.open(3, 'dir/nested/file///').errno).toBe(Errno.NOTDIR);
      expect(g.open(3, 'dir/nested/', { rights: READ_RIGHTS }).errno).toBe(0);
      expect(g.open(3, 'dir/nested///', { rights: READ_RIGHTS }).errno).toBe(0);
      expect(g.open(3, 'dir/nested/file\0').errno).toBe(Errno.INVAL);
      expect(g.open(3, '').errno).toBe(Errno.NOENT);
      expect(g.open(3, 'dir/missing/file').errno).toBe(Errno.NOENT);
      expect(g.open(3, 'dir/nested/file/x').errno).toBe(Errno.NOTDIR);
    });

    it('symlinks: followed inside the grant unless NOFOLLOW (LOOP); dangling NOENT; CREAT through a dangling link', async () => {
      const g = await setup({ 'target.txt': 'via link', 'd/x': 'x' });
      fx.symlink('target.txt', 'link');
      fx.symlink('d', 'dlink');
      fx.symlink('nowhere', 'dangling');
      fx.symlink('../target.txt', 'd/up');
      expect(g.readFile(3, 'link').text).toBe('via link');
      expect(g.readFile(3, 'd/up').text).toBe('via link');
      expect(g.readFile(3, 'dlink/x').text).toBe('x');
      expect(g.open(3, 'link', { follow: false }).errno).toBe(Errno.LOOP);
      expect(g.open(3, 'dlink', { follow: false, oflags: Oflags.DIRECTORY }).errno).toBe(Errno.LOOP);
      expect(g.open(3, 'dangling').errno).toBe(Errno.NOENT);
      expect(g.open(3, 'dangling', { oflags: Oflags.CREAT | Oflags.EXCL }).errno).toBe(Errno.EXIST);
      expect(g.open(3, 'dangling', { oflags: Oflags.CREAT }).errno).toBe(0);
      expect(fx.exists('nowhere')).toBe(true);
    });

    it('symlink loops and chains longer than 40 are LOOP', async () => {
      const g = await setup();
      fx.symlink('b', 'a');
      fx.symlink('a', 'b');
      fx.symlink('self', 'self');
      expect(g.open(3, 'a').errno).toBe(Errno.LOOP);
      expect(g.open(3, 'self/x').errno).toBe(Errno.LOOP);
      fx.write('end', 'ok');
      fx.symlink('end', 'c0');
      for (let i = 1; i <= 41; i++) fx.symlink(`c${i - 1}`, `c${i}`);
      expect(g.readFile(3, 'c39').text).toBe('ok');
      expect(g.open(3, 'c41').errno).toBe(Errno.LOOP);
    });

    it('INVAL for unknown oflags, fdflags or lookup flags; NOTDIR when the base is a file', async () => {
      const g = await setup({ f: 'x' });
      expect(g.open(3, 'f', { oflags: 0x10 }).errno).toBe(Errno.INVAL);
      expect(g.open(3, 'f', { fdflags: 0x40 }).errno).toBe(Errno.INVAL);
      const [p, l] = g.put('f');
      expect(g.call.path_open(3, 2, p, l, 0, 0n, 0n, 0, 0)).toBe(Errno.INVAL);
      const file = g.open(3, 'f').fd;
      expect(g.open(file, 'x').errno).toBe(Errno.NOTDIR);
      expect(g.open(99, 'x').errno).toBe(Errno.BADF);
    });

    it('opens with APPEND write at the end', async () => {
      const g = await setup({ log: 'one\n' });
      const fd = g.open(3, 'log', { fdflags: 1 }).fd;
      g.write(fd, 'two\n');
      expect(fx.read('log')).toBe('one\ntwo\n');
    });
  });

  describe('path_create_directory', () => {
    it('creates; EXIST for an existing entry or "."; NOENT when the parent is missing', async () => {
      const g = await setup({ f: 'x' });
      expect(g.pathCall('path_create_directory', 3, 'd')).toBe(0);
      expect(g.pathCall('path_create_directory', 3, 'd/e/')).toBe(0);
      expect(g.stat(3, 'd/e').stat.filetype).toBe(Filetype.DIRECTORY);
      expect(g.pathCall('path_create_directory', 3, 'd')).toBe(Errno.EXIST);
      expect(g.pathCall('path_create_directory', 3, 'f')).toBe(Errno.EXIST);
      expect(g.pathCall('path_create_directory', 3, '.')).toBe(Errno.EXIST);
      expect(g.pathCall('path_create_directory', 3, 'x/y')).toBe(Errno.NOENT);
    });
  });

  describe('path_filestat_get', () => {
    it('follows symlinks only when asked; NOTDIR for a trailing slash on a file', async () => {
      const g = await setup({ f: 'hello' });
      fx.symlink('f', 'l');
      expect(g.stat(3, 'f').stat).toMatchObject({ filetype: Filetype.REGULAR_FILE, size: 5n, nlink: 1n });
      expect(g.stat(3, 'l', true).stat.filetype).toBe(Filetype.REGULAR_FILE);
      expect(g.stat(3, 'l', false).stat.filetype).toBe(Filetype.SYMBOLIC_LINK);
      expect(g.stat(3, '.').stat.filetype).toBe(Filetype.DIRECTORY);
      expect(g.stat(3, 'f/').errno).toBe(Errno.NOTDIR);
      expect(g.stat(3, 'missing').errno).toBe(Errno.NOENT);
      const [p, l] = g.put('f');
      expect(g.call.path_filestat_get(3, 4, p, l, 0)).toBe(Errno.INVAL);
    });
  });

  describe('path_filestat_set_times', () => {
    it('sets times of the target, or of the link itself without SYMLINK_FOLLOW', async () => {
      const g = await setup({ f: 'x' });
      fx.symlink('f', 'l');
      const t = 1_500_000_000_000_000_000n;
      const [p, l] = g.put('l');
      expect(g.call.path_filestat_set_times(3, 1, p, l, t, t, Fstflags.ATIM | Fstflags.MTIM)).toBe(0);
      expect(g.stat(3, 'f').stat.mtim).toBe(t);
      expect(g.call.path_filestat_set_times(3, 0, p, l, t + 1_000_000_000n, t, Fstflags.MTIM)).toBe(0);
      expect(g.stat(3, 'l', false).stat.mtim).toBe(t);
      expect(g.stat(3, 'f').stat.mtim).toBe(t);
      expect(g.call.path_filestat_set_times(3, 0, p, l, 0n, 0n, Fstflags.ATIM | Fstflags.ATIM_NOW)).toBe(Errno.INVAL);
      const [mp, ml] = g.put('missing');
      expect(g.call.path_filestat_set_times(3, 0, mp, ml, 0n, 0n, Fstflags.MTIM_NOW)).toBe(Errno.NOENT);
    });
  });

  describe('path_link', () => {
    it('links files (nlink 2); PERM for directories; EXIST when the new name is taken', async () => {
      const g = await setup({ f: 'data', g: 'other', 'd/x': '' });
      expect(g.link(3, 'f', 3, 'f2')).toBe(0);
      expect(fx.read('f2')).toBe('data');
      expect(g.stat(3, 'f').stat.nlink).toBe(2n);
      expect(g.stat(3, 'f').stat.ino).toBe(g.stat(3, 'f2').stat.ino);
      expect(g.link(3, 'd', 3, 'd2')).toBe(Errno.PERM);
      expect(g.link(3, 'f', 3, 'g')).toBe(Errno.EXIST);
      expect(g.link(3, 'missing', 3, 'm2')).toBe(Errno.NOENT);
    });

    it('links a symlink itself, or its target with SYMLINK_FOLLOW', async () => {
      const g = await setup({ f: 'data' });
      fx.symlink('f', 'l');
      expect(g.link(3, 'l', 3, 'l2')).toBe(0);
      expect(g.stat(3, 'l2', false).stat.filetype).toBe(Filetype.SYMBOLIC_LINK);
      expect(g.link(3, 'l', 3, 'f3', true)).toBe(0);
      expect(g.stat(3, 'f3', false).stat.filetype).toBe(Filetype.REGULAR_FILE);
    });
  });

  describe('path_readlink', () => {
    it('reads the target; INVAL for a non-link; RANGE when the buffer is too small', async () => {
      const g = await setup({ f: 'x' });
      fx.symlink('some/where', 'l');
      expect(g.readlink(3, 'l')).toEqual({ errno: 0, text: 'some/where' });
      expect(g.readlink(3, 'f').errno).toBe(Errno.INVAL);
      expect(g.readlink(3, 'l', 4).errno).toBe(Errno.RANGE);
      expect(g.readlink(3, 'missing').errno).toBe(Errno.NOENT);
    });
  });

  describe('path_remove_directory', () => {
    it('removes empty directories; NOTEMPTY, NOTDIR, INVAL for "."', async () => {
      const g = await setup({ 'full/x': 'x', f: 'x' });
      fx.mkdir('empty');
      fx.symlink('empty', 'elink');
      expect(g.pathCall('path_remove_directory', 3, 'empty/')).toBe(0);
      expect(fx.exists('empty')).toBe(false);
      expect(g.pathCall('path_remove_directory', 3, 'full')).toBe(Errno.NOTEMPTY);
      expect(g.pathCall('path_remove_directory', 3, 'f')).toBe(Errno.NOTDIR);
      expect(g.pathCall('path_remove_directory', 3, 'elink')).toBe(Errno.NOTDIR);
      expect(g.pathCall('path_remove_directory', 3, '.')).toBe(Errno.INVAL);
      expect(g.pathCall('path_remove_directory', 3, 'gone')).toBe(Errno.NOENT);
    });
  });

  describe('path_unlink_file', () => {
    it('unlinks files and symlinks (not their targets); ISDIR for directories; NOTDIR for "file/"', async () => {
      const g = await setup({ f: 'x', g: 'y' });
      fx.mkdir('d');
      fx.symlink('g', 'l');
      expect(g.pathCall('path_unlink_file', 3, 'f')).toBe(0);
      expect(fx.exists('f')).toBe(false);
      expect(g.pathCall('path_unlink_file', 3, 'l')).toBe(0);
      expect(fx.read('g')).toBe('y');
      expect(g.pathCall('path_unlink_file', 3, 'd')).toBe(Errno.ISDIR);
      expect(g.pathCall('path_unlink_file', 3, 'g/')).toBe(Errno.NOTDIR);
      expect(g.pathCall('path_unlink_file', 3, 'f')).toBe(Errno.NOENT);
    });
  });

  describe('path_rename', () => {
    it('renames over an existing file, and a directory over an empty directory', async () => {
      const g = await setup({ a: 'A', b: 'B', 'd1/x': 'x' });
      fx.mkdir('d2');
      expect(g.rename(3, 'a', 3, 'b')).toBe(0);
      expect(fx.exists('a')).toBe(false);
      expect(fx.read('b')).toBe('A');
      expect(g.rename(3, 'd1', 3, 'd2')).toBe(0);
      expect(fx.read('d2/x')).toBe('x');
    });

    it('NOTEMPTY, ISDIR, NOTDIR, INVAL (into itself), NOENT', async () => {
      const g = await setup({ f: 'x', 'full/y': 'y', 'd/z': 'z' });
      fx.mkdir('empty');
      expect(g.rename(3, 'empty', 3, 'full')).toBe(Errno.NOTEMPTY);
      expect(g.rename(3, 'f', 3, 'empty')).toBe(Errno.ISDIR);
      expect(g.rename(3, 'empty', 3, 'f')).toBe(Errno.NOTDIR);
      expect(g.rename(3, 'd', 3, 'd/inner')).toBe(Errno.INVAL);
      expect(g.rename(3, 'missing', 3, 'x')).toBe(Errno.NOENT);
      expect(g.rename(3, 'f/', 3, 'g')).toBe(Errno.NOTDIR);
    });

    it('moves between directory descriptors; renaming a symlink moves the link', async () => {
      const g = await setup({ 'src/f': 'x', t: 'T' });
      fx.mkdir('dst');
      fx.symlink('t', 'l');
      const src = g.open(3, 'src', { oflags: Oflags.DIRECTORY, rights: READ_RIGHTS }).fd;
      const dst = g.open(3, 'dst', { oflags: Oflags.DIRECTORY, rights: READ_RIGHTS }).fd;
      expect(g.rename(src, 'f', dst, 'g')).toBe(0);
      expect(fx.read('dst/g')).toBe('x');
      expect(g.rename(3, 'l', 3, 'l2')).toBe(0);
      expect(g.readlink(3, 'l2').text).toBe('t');
    });
  });

  describe('path_symlink', () => {
    it('creates a link; EXIST when taken; PERM for absolute or escaping targets', async () => {
      const g = await setup({ f: 'x', 'd/e': '' });
      expect(g.symlink('f', 3, 'l')).toBe(0);
      expect(g.readlink(3, 'l').text).toBe('f');
      expect(g.readFile(3, 'l').text).toBe('x');
      expect(g.symlink('../f', 3, 'd/up')).toBe(0);
      expect(g.symlink('f', 3, 'l')).toBe(Errno.EXIST);
      expect(g.symlink('f', 3, 'f')).toBe(Errno.EXIST);
      expect(g.symlink('/etc/passwd', 3, 'abs')).toBe(Errno.PERM);
      expect(g.symlink('../outside', 3, 'esc')).toBe(Errno.PERM);
      expect(g.symlink('d/../../x', 3, 'esc2')).toBe(Errno.PERM);
      expect(fx.exists('abs') || fx.exists('esc') || fx.exists('esc2')).toBe(false);
    });
  });
});
