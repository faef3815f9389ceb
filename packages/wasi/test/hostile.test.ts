import { linkSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Errno, type FsBackend, type FsDirectory, MemoryFs, Oflags } from '../src/index.js';
import {
  FIXTURES,
  type FsFixture,
  type Guest,
  hostFixture,
  makeGuest,
  OUTSIDE_SECRET,
  READ_RIGHTS,
} from './helpers.js';

/**
 * Every escape we could think of, on every backend. The host backends keep `outside/secret.txt`
 * next to the granted `sandbox/`; no test may ever read OUTSIDE_SECRET.
 */
describe.each(FIXTURES)('hostile guest on %s', (_name, makeFixture) => {
  let fx: FsFixture;
  afterEach(() => fx.cleanup());

  async function setup(): Promise<Guest> {
    fx = makeFixture();
    fx.write('inside.txt', 'inside');
    fx.write('sub/deeper/file.txt', 'deep');
    return makeGuest({ preopens: [{ guestPath: '/sandbox', backend: fx.backend }] });
  }

  function expectRefused(g: Guest, path: string, errno: number): void {
    const r = g.readFile(3, path);
    expect(r.errno, path).toBe(errno);
    expect(r.text).not.toContain(OUTSIDE_SECRET);
  }

  it('`..` above the preopen: PERM, however it is spelled', async () => {
    const g = await setup();
    expectRefused(g, '../outside/secret.txt', Errno.PERM);
    expectRefused(g, '../../etc/passwd', Errno.PERM);
    expectRefused(g, 'sub/../../outside/secret.txt', Errno.PERM);
    expectRefused(g, 'sub/deeper/../../../outside/secret.txt', Errno.PERM);
    expectRefused(g, './../sandbox/inside.txt', Errno.PERM);
    expectRefused(g, '..', Errno.PERM);
    expect(g.stat(3, '..').errno).toBe(Errno.PERM);
    expect(g.pathCall('path_create_directory', 3, '../evil')).toBe(Errno.PERM);
    expect(g.pathCall('path_unlink_file', 3, '../outside/secret.txt')).toBe(Errno.PERM);
  });

  it('`..` is confined to the directory descriptor it is resolved from', async () => {
    const g = await setup();
    const sub = g.open(3, 'sub', { oflags: Oflags.DIRECTORY, rights: READ_RIGHTS }).fd;
    expect(g.readFile(sub, 'deeper/file.txt').text).toBe('deep');
    expect(g.readFile(3, 'sub/../inside.txt').text).toBe('inside');
    expect(g.readFile(sub, '../inside.txt').errno).toBe(Errno.PERM);
  });

  it('absolute paths: PERM', async () => {
    const g = await setup();
    expectRefused(g, '/etc/passwd', Errno.PERM);
    expectRefused(g, '/sandbox/inside.txt', Errno.PERM);
    expectRefused(g, '//inside.txt', Errno.PERM);
    expect(g.symlink('x', 3, '/abs-link')).toBe(Errno.PERM);
  });

  it('symlinks to /, to absolute paths and out of the tree: PERM when followed', async () => {
    const g = await setup();
    fx.symlink('/', 'root');
    fx.symlink('/etc/passwd', 'passwd');
    fx.symlink('../outside/secret.txt', 'secret');
    fx.symlink('../outside', 'outdir');
    fx.symlink('../../../../../../../../', 'sub/far');
    expectRefused(g, 'root/etc/passwd', Errno.PERM);
    expectRefused(g, 'passwd', Errno.PERM);
    expectRefused(g, 'secret', Errno.PERM);
    expectRefused(g, 'outdir/secret.txt', Errno.PERM);
    expectRefused(g, 'sub/far/etc/passwd', Errno.PERM);
    expect(g.stat(3, 'secret').errno).toBe(Errno.PERM);
    expect(g.stat(3, 'secret', false).errno).toBe(0);
    expect(g.pathCall('path_create_directory', 3, 'outdir/planted')).toBe(Errno.PERM);
    expect(g.open(3, 'outdir/new.txt', { oflags: Oflags.CREAT }).errno).toBe(Errno.PERM);
  });

  it('symlink chains that wander out and back in are still refused at the first escape', async () => {
    const g = await setup();
    fx.symlink('b', 'a');
    fx.symlink('sub/c', 'b');
    fx.symlink('../../outside/secret.txt', 'sub/c');
    fx.symlink('sub/ok', 'good');
    fx.symlink('../inside.txt', 'sub/ok');
    expectRefused(g, 'a', Errno.PERM);
    expect(g.readFile(3, 'good')).toEqual({ errno: 0, text: 'inside' });
  });

  it('symlinks the guest creates are subject to the same rules (creation and, after a rename, following)', async () => {
    const g = await setup();
    expect(g.symlink('../outside/secret.txt', 3, 'mine')).toBe(Errno.PERM);
    expect(g.symlink('/', 3, 'mine')).toBe(Errno.PERM);
    // Legal where it is made, escaping once moved up two levels: the resolver still refuses it.
    expect(g.symlink('../../outside/secret.txt', 3, 'sub/deeper/sneaky')).toBe(0);
    expect(g.readFile(3, 'sub/deeper/sneaky').errno).toBe(Errno.NOENT);
    expect(g.rename(3, 'sub/deeper/sneaky', 3, 'sneaky')).toBe(0);
    expectRefused(g, 'sneaky', Errno.PERM);
  });

  it('hard links: the guest cannot link anything from outside in', async () => {
    const g = await setup();
    fx.symlink('../outside/secret.txt', 'secret');
    expect(g.link(3, '../outside/secret.txt', 3, 'stolen')).toBe(Errno.PERM);
    expect(g.link(3, 'secret', 3, 'stolen', true)).toBe(Errno.PERM);
    // Linking the symlink itself is allowed, and the copy is just as unfollowable.
    expect(g.link(3, 'secret', 3, 'stolen')).toBe(0);
    expectRefused(g, 'stolen', Errno.PERM);
    expect(g.link(3, 'inside.txt', 3, '../outside/planted')).toBe(Errno.PERM);
  });

  it('very long paths and names: NAMETOOLONG', async () => {
    const g = await setup();
    expectRefused(g, `${'a/'.repeat(2100)}x`, Errno.NAMETOOLONG);
    expectRefused(g, 'x'.repeat(256), Errno.NAMETOOLONG);
    expect(g.open(3, `${'é'.repeat(128)}`, { oflags: Oflags.CREAT }).errno).toBe(Errno.NAMETOOLONG);
    expect(g.pathCall('path_create_directory', 3, 'n'.repeat(300))).toBe(Errno.NAMETOOLONG);
  });

  it('NUL bytes in paths: INVAL', async () => {
    const g = await setup();
    expectRefused(g, 'inside.txt\0../../outside/secret.txt', Errno.INVAL);
    expect(g.pathCall('path_unlink_file', 3, 'inside.txt\0')).toBe(Errno.INVAL);
    expect(g.symlink('a\0b', 3, 'l')).toBe(Errno.INVAL);
  });

  it('invalid UTF-8 in paths: ILSEQ', async () => {
    const g = await setup();
    expect(g.open(3, new Uint8Array([0x66, 0xff, 0xfe])).errno).toBe(Errno.ILSEQ);
    expect(g.open(3, new Uint8Array([0xc0, 0xaf])).errno).toBe(Errno.ILSEQ);
    expect(g.pathCall('path_create_directory', 3, new Uint8Array([0xed, 0xa0, 0x80]))).toBe(Errno.ILSEQ);
  });

  it('descriptor numbers never opened, already closed, or not directories', async () => {
    const g = await setup();
    expect(g.open(7, 'inside.txt').errno).toBe(Errno.BADF);
    expect(g.open(0xffffffff, 'inside.txt').errno).toBe(Errno.BADF);
    const fd = g.open(3, 'inside.txt').fd;
    g.call.fd_close(fd);
    expect(g.read(fd).errno).toBe(Errno.BADF);
    expect(g.write(fd, 'x').errno).toBe(Errno.BADF);
    expect(g.open(1, 'inside.txt').errno).toBe(Errno.NOTDIR);
    g.call.fd_close(3);
    expect(g.open(3, 'inside.txt').errno).toBe(Errno.BADF);
  });

  it('cannot remove or rename the preopen itself', async () => {
    const g = await setup();
    expect(g.pathCall('path_remove_directory', 3, '.')).toBe(Errno.INVAL);
    expect(g.pathCall('path_remove_directory', 3, 'sub/..')).toBe(Errno.INVAL);
    expect(g.rename(3, '.', 3, 'moved')).toBe(Errno.BUSY);
    expect(g.rename(3, 'sub', 3, '..')).toBe(Errno.PERM);
  });
});

describe.each(FIXTURES)('read-only grant on %s', (_name, makeFixture) => {
  let fx: FsFixture;
  afterEach(() => fx.cleanup());

  it('refuses every write, create, rename, unlink, truncate, set-times and symlink with PERM', async () => {
    fx = makeFixture();
    fx.write('f.txt', 'original');
    fx.mkdir('d');
    const g = await makeGuest({ preopens: [{ guestPath: '/ro', backend: fx.backend, readOnly: true }] });
    const [p, l] = g.put('f.txt');
    expect(g.open(3, 'f.txt', { rights: 64n }).errno).toBe(Errno.PERM);
    expect(g.open(3, 'new.txt', { oflags: Oflags.CREAT, rights: 2n }).errno).toBe(Errno.PERM);
    expect(g.open(3, 'f.txt', { oflags: Oflags.TRUNC, rights: 2n }).errno).toBe(Errno.PERM);
    expect(g.open(3, 'f.txt', { fdflags: 1, rights: 2n }).errno).toBe(Errno.PERM);
    expect(g.pathCall('path_create_directory', 3, 'nd')).toBe(Errno.PERM);
    expect(g.pathCall('path_remove_directory', 3, 'd')).toBe(Errno.PERM);
    expect(g.pathCall('path_unlink_file', 3, 'f.txt')).toBe(Errno.PERM);
    expect(g.rename(3, 'f.txt', 3, 'g.txt')).toBe(Errno.PERM);
    expect(g.link(3, 'f.txt', 3, 'g.txt')).toBe(Errno.PERM);
    expect(g.symlink('f.txt', 3, 'l')).toBe(Errno.PERM);
    expect(g.call.path_filestat_set_times(3, 0, p, l, 0n, 0n, 8)).toBe(Errno.PERM);
    // A descriptor opened for reading cannot be turned into a writer either.
    const fd = g.open(3, 'f.txt', { rights: READ_RIGHTS });
    expect(fd.errno).toBe(0);
    expect(g.write(fd.fd, 'x').errno).toBe(Errno.PERM);
    expect(g.call.fd_filestat_set_size(fd.fd, 0n)).toBe(Errno.PERM);
    expect(g.call.fd_filestat_set_times(fd.fd, 0n, 0n, 8)).toBe(Errno.PERM);
    expect(g.call.fd_allocate(fd.fd, 0n, 100n)).toBe(Errno.PERM);
    expect(g.call.fd_fdstat_set_flags(fd.fd, 1)).toBe(Errno.PERM);
    expect(g.call.fd_fdstat_set_rights(fd.fd, 0x3fffffffn, 0n)).toBe(Errno.NOTCAPABLE);
    // Reading still works, and nothing changed.
    expect(g.read(fd.fd).text).toBe('original');
    expect(
      g
        .readdir(3)
        .entries.map((e) => e.name)
        .sort(),
    ).toEqual(['.', '..', 'd', 'f.txt']);
    expect(fx.read('f.txt')).toBe('original');
    expect(fx.exists('new.txt') || fx.exists('nd') || fx.exists('g.txt') || fx.exists('l')).toBe(false);
  });

  it('the read-only flag is inherited by directories opened below the grant', async () => {
    fx = makeFixture();
    fx.write('d/f.txt', 'x');
    const g = await makeGuest({ preopens: [{ guestPath: '/ro', backend: fx.backend, readOnly: true }] });
    const d = g.open(3, 'd', { oflags: Oflags.DIRECTORY, rights: READ_RIGHTS });
    expect(d.errno).toBe(0);
    expect(g.pathCall('path_unlink_file', d.fd, 'f.txt')).toBe(Errno.PERM);
    expect(g.open(d.fd, 'n', { oflags: Oflags.CREAT, rights: 2n }).errno).toBe(Errno.PERM);
  });

  it('a read-write grant next to a read-only one keeps its own rights', async () => {
    fx = makeFixture();
    const scratch = new MemoryFs();
    const g = await makeGuest({
      preopens: [
        { guestPath: '/ro', backend: fx.backend, readOnly: true },
        { guestPath: '/tmp', backend: scratch },
      ],
    });
    expect(g.open(4, 'out.txt', { oflags: Oflags.CREAT }).errno).toBe(0);
    expect(scratch.typeOf('out.txt')).toBe('file');
    expect(g.rename(4, 'out.txt', 3, 'out.txt')).toBe(Errno.PERM);
  });
});

/** Wraps a backend so a test can act at the exact moment between two steps of one guest call. */
function interposed(
  inner: FsBackend,
  before: { openFile?: (name: string) => void; afterOpenDirectory?: (name: string) => void },
): FsBackend {
  const wrapDir = (d: FsDirectory): FsDirectory =>
    new Proxy(d, {
      get(target, prop, receiver) {
        if (prop === 'openDirectory')
          return (name: string) => {
            const out = wrapDir(target.openDirectory(name));
            before.afterOpenDirectory?.(name);
            return out;
          };
        if (prop === 'openFile')
          return (name: string, flags: Parameters<FsDirectory['openFile']>[1]) => {
            before.openFile?.(name);
            return target.openFile(name, flags);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return { kind: inner.kind, openRoot: (ctx) => wrapDir(inner.openRoot(ctx)) };
}

describe('swapped in during a call (host directory)', () => {
  let fx: FsFixture;
  afterEach(() => fx.cleanup());

  for (const [label, useProcFd, expected] of [
    ['via /proc/self/fd: the held directory is used, the swap has no effect', undefined, 'stays'],
    ['via paths: the swap is detected and refused', false, 'refused'],
  ] as const) {
    it(`a directory replaced by a symlink to the outside between two steps — ${label}`, async () => {
      fx = hostFixture(useProcFd);
      fx.write('sub/secret.txt', 'inside copy');
      const root = (fx.backend as unknown as { hostPath: string }).hostPath;
      let swapped = false;
      const backend = interposed(fx.backend, {
        afterOpenDirectory(name) {
          if (name !== 'sub' || swapped) return;
          swapped = true;
          renameSync(join(root, 'sub'), join(root, 'sub-old'));
          symlinkSync('../outside', join(root, 'sub'));
        },
      });
      const g = await makeGuest({ preopens: [{ guestPath: '/s', backend }] });
      const r = g.readFile(3, 'sub/secret.txt');
      expect(swapped).toBe(true);
      expect(r.text).not.toContain(OUTSIDE_SECRET);
      if (expected === 'stays') expect(r).toEqual({ errno: 0, text: 'inside copy' });
      else expect(r.errno).toBe(Errno.PERM);
      // And the unlink of the same path after the swap must not touch the outside file.
      expect(g.pathCall('path_unlink_file', 3, 'sub/secret.txt')).toBe(Errno.PERM);
    });
  }

  it('a file replaced by a symlink to the outside just before it is opened', async () => {
    fx = hostFixture();
    fx.write('f.txt', 'inside');
    const root = (fx.backend as unknown as { hostPath: string }).hostPath;
    const backend = interposed(fx.backend, {
      openFile(name) {
        if (name !== 'f.txt') return;
        renameSync(join(root, 'f.txt'), join(root, 'f-old.txt'));
        symlinkSync('../outside/secret.txt', join(root, 'f.txt'));
      },
    });
    const g = await makeGuest({ preopens: [{ guestPath: '/s', backend }] });
    const r = g.readFile(3, 'f.txt');
    expect(r.errno).toBe(Errno.PERM);
    expect(r.text).not.toContain(OUTSIDE_SECRET);
  });

  it('a hard link made by the host is part of the grant (documented): the guest reads it', async () => {
    fx = hostFixture();
    const root = (fx.backend as unknown as { hostPath: string }).hostPath;
    linkSync(join(root, '..', 'outside', 'secret.txt'), join(root, 'hardlink'));
    const g = await makeGuest({ preopens: [{ guestPath: '/s', backend: fx.backend }] });
    expect(g.readFile(3, 'hardlink').text).toBe(OUTSIDE_SECRET);
  });
});
