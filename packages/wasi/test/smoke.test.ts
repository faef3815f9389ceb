import { expect, it } from 'vitest';
import { Errno } from '../src/index.js';
import { FIXTURES, makeGuest } from './helpers.js';

it.each(FIXTURES)('smoke %s', async (_n, make) => {
  const fx = make();
  fx.write('a.txt', 'hello');
  const g = await makeGuest({ preopens: [{ guestPath: '/sandbox', backend: fx.backend }] });
  expect(g.readFile(3, 'a.txt')).toEqual({ errno: 0, text: 'hello' });
  const o = g.open(3, 'b.txt', { oflags: 1 });
  expect(o.errno).toBe(0);
  expect(g.write(o.fd, 'xyz').errno).toBe(0);
  expect(g.call.fd_close(o.fd)).toBe(0);
  expect(fx.read('b.txt')).toBe('xyz');
  expect(g.readFile(3, '../outside/secret.txt').errno).toBe(Errno.PERM);
  expect(
    g
      .readdir(3)
      .entries.map((e) => e.name)
      .sort(),
  ).toEqual(['.', '..', 'a.txt', 'b.txt']);
  fx.cleanup();
});
