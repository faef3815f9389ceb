import { describe, expect, it } from 'vitest';
import { Errno, MemoryFs, Oflags } from '../src/index.js';
import { makeGuest } from './helpers.js';

describe('MemoryFs', () => {
  it('refuses growth past maxBytes with NOSPC, and frees bytes on unlink', async () => {
    const fs = new MemoryFs({ maxBytes: 10 });
    const g = await makeGuest({ preopens: [{ guestPath: '/m', backend: fs }] });
    const fd = g.open(3, 'f', { oflags: Oflags.CREAT }).fd;
    expect(g.write(fd, '12345678').errno).toBe(0);
    expect(g.write(fd, '9012').errno).toBe(Errno.NOSPC);
    expect(g.call.fd_filestat_set_size(fd, 100n)).toBe(Errno.NOSPC);
    g.call.fd_close(fd);
    expect(g.pathCall('path_unlink_file', 3, 'f')).toBe(0);
    expect(fs.usedBytes).toBe(0);
  });

  it('builds a tree from plain data and exposes host-side helpers', () => {
    const fs = new MemoryFs({ files: { 'a/b.txt': 'hi', 'a/link': { symlink: 'b.txt' }, empty: { dir: true } } });
    expect(fs.list()).toEqual(['a', 'empty']);
    expect(fs.list('a')).toEqual(['b.txt', 'link']);
    expect(new TextDecoder().decode(fs.readFile('a/b.txt'))).toBe('hi');
    expect(fs.typeOf('a/link')).toBe('symlink');
    expect(fs.typeOf('nope')).toBeUndefined();
  });

  it('uses the host clock for timestamps, so deterministic runs stamp files alike', async () => {
    const fs = new MemoryFs();
    const g = await makeGuest({ deterministic: { startTimeNs: 123n }, preopens: [{ guestPath: '/m', backend: fs }] });
    g.open(3, 'f', { oflags: Oflags.CREAT });
    expect(g.stat(3, 'f').stat.mtim).toBe(123n);
  });

  it('can be granted to several hosts in turn: output of one run is input of the next', async () => {
    const fs = new MemoryFs();
    const a = await makeGuest({ preopens: [{ guestPath: '/m', backend: fs }] });
    a.write(a.open(3, 'handoff', { oflags: Oflags.CREAT }).fd, 'from a');
    a.host.close();
    const b = await makeGuest({ preopens: [{ guestPath: '/m', backend: fs, readOnly: true }] });
    expect(b.readFile(3, 'handoff').text).toBe('from a');
  });
});
