import { describe, expect, it } from 'vitest';
import { Errno, MemoryFs } from '../src/index.js';
import { makeGuest } from './helpers.js';

// No socket can be granted, so every descriptor that exists is not a socket.
describe.each([
  ['sock_accept', (g: Awaited<ReturnType<typeof makeGuest>>, fd: number) => g.call.sock_accept(fd, 0, 0)],
  ['sock_recv', (g: Awaited<ReturnType<typeof makeGuest>>, fd: number) => g.call.sock_recv(fd, 0, 0, 0, 0, 4)],
  ['sock_send', (g: Awaited<ReturnType<typeof makeGuest>>, fd: number) => g.call.sock_send(fd, 0, 0, 0, 0)],
  ['sock_shutdown', (g: Awaited<ReturnType<typeof makeGuest>>, fd: number) => g.call.sock_shutdown(fd, 3)],
])('%s', (_name, call) => {
  it('answers BADF for a descriptor never opened', async () => {
    const g = await makeGuest();
    expect(call(g, 42)).toBe(Errno.BADF);
  });

  it('answers NOTSOCK for stdio and directories', async () => {
    const g = await makeGuest({ preopens: [{ guestPath: '/d', backend: new MemoryFs() }] });
    expect(call(g, 1)).toBe(Errno.NOTSOCK);
    expect(call(g, 3)).toBe(Errno.NOTSOCK);
  });
});
