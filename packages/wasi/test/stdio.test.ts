import { describe, expect, it } from 'vitest';
import { Errno, Filetype, Rights } from '../src/index.js';
import { makeGuest, runCommand } from './helpers.js';

describe('stdout and stderr', () => {
  it('are captured separately', async () => {
    const g = await makeGuest();
    expect(g.write(1, 'out')).toEqual({ errno: 0, n: 3 });
    expect(g.write(2, 'err')).toEqual({ errno: 0, n: 3 });
    expect(g.host.stdoutText()).toBe('out');
    expect(g.host.stderrText()).toBe('err');
  });

  it('keep bytes up to the cap and count the rest', async () => {
    const g = await makeGuest({ stdout: { maxBytes: 5 } });
    g.write(1, 'abc');
    g.write(1, 'defgh');
    const out = g.host.stdout;
    expect(new TextDecoder().decode(out.bytes)).toBe('abcde');
    expect(out.totalBytes).toBe(8);
    expect(out.truncated).toBe(true);
  });

  it('stream every chunk to onData as it arrives', async () => {
    const chunks: string[] = [];
    const g = await makeGuest({ stderr: { maxBytes: 0, onData: (c) => chunks.push(new TextDecoder().decode(c)) } });
    g.write(2, 'one');
    g.write(2, 'two');
    expect(chunks).toEqual(['one', 'two']);
    expect(g.host.stderr.bytes.length).toBe(0);
  });

  it('onWrite sees each write as a view of guest memory, before onData gets its copy', async () => {
    const seen: Array<[string, Uint8Array]> = [];
    const g = await makeGuest({
      stdout: {
        onWrite: (v) => seen.push(['write', v]),
        onData: (c) => seen.push(['data', c]),
      },
    });
    g.write(1, 'abc');
    expect(seen.map(([k, c]) => [k, new TextDecoder().decode(c)])).toEqual([
      ['write', 'abc'],
      ['data', 'abc'],
    ]);
    const [, view] = seen[0] as [string, Uint8Array];
    const [, copy] = seen[1] as [string, Uint8Array];
    expect(view.buffer).toBe(g.memory.buffer);
    expect(copy.buffer).not.toBe(g.memory.buffer);
  });

  it('a snapshot of the capture does not change with later writes', async () => {
    const g = await makeGuest();
    g.write(1, 'first');
    const before = g.host.stdout.bytes;
    for (let i = 0; i < 100; i++) g.write(1, 'more output that makes the buffer grow');
    expect(new TextDecoder().decode(before)).toBe('first');
    expect(g.host.stdout.totalBytes).toBe(5 + 100 * 38);
  });

  it('an exception from onData unwinds the guest (how an embedder stops a chatty guest)', async () => {
    const g = await makeGuest({
      stdout: {
        onData: () => {
          throw new Error('output limit');
        },
      },
    });
    expect(() => g.write(1, 'x')).toThrow('output limit');
  });

  it('are not readable, seekable or tellable', async () => {
    const g = await makeGuest();
    expect(g.read(1).errno).toBe(Errno.NOTCAPABLE);
    expect(g.call.fd_seek(1, 0n, 0, 0)).toBe(Errno.SPIPE);
    expect(g.call.fd_tell(2, 0)).toBe(Errno.SPIPE);
    const [p, l] = g.put('x');
    g.view().setUint32(0, p, true);
    g.view().setUint32(4, l, true);
    expect(g.call.fd_pwrite(1, 0, 1, 0n, 8)).toBe(Errno.SPIPE);
    expect(g.call.fd_pread(0, 0, 1, 0n, 8)).toBe(Errno.SPIPE);
  });

  it('fd_fdstat_get describes them as character devices with stream rights', async () => {
    const g = await makeGuest();
    expect(g.call.fd_fdstat_get(1, 0)).toBe(0);
    expect(g.u8(0)).toBe(Filetype.CHARACTER_DEVICE);
    expect(BigInt(g.u64(8)) & BigInt(Rights.FD_WRITE)).toBe(BigInt(Rights.FD_WRITE));
    expect(BigInt(g.u64(8)) & BigInt(Rights.FD_READ)).toBe(0n);
    expect(g.fstat(2)).toMatchObject({ errno: 0, stat: { filetype: Filetype.CHARACTER_DEVICE } });
  });
});

describe('stdin', () => {
  it('delivers the given bytes, then end of file', async () => {
    const g = await makeGuest({ stdin: 'hello world' });
    expect(g.read(0, 5)).toMatchObject({ errno: 0, text: 'hello' });
    expect(g.read(0, 100)).toMatchObject({ errno: 0, text: ' world' });
    expect(g.read(0, 100)).toMatchObject({ errno: 0, text: '' });
  });

  it('is empty by default and not writable', async () => {
    const g = await makeGuest();
    expect(g.read(0)).toMatchObject({ errno: 0, text: '' });
    expect(g.write(0, 'x').errno).toBe(Errno.NOTCAPABLE);
  });

  it('serves a command that copies stdin to stdout', async () => {
    const cat = `(module
      (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (loop $more
          (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 3))
          (drop (call $r (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
          (if (i32.load (i32.const 8)) (then
            (i32.store (i32.const 4) (i32.load (i32.const 8)))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (br $more))))))`;
    const { host, code } = await runCommand(cat, { stdin: new TextEncoder().encode('copy me, please') });
    expect(code).toBe(0);
    expect(host.stdoutText()).toBe('copy me, please');
  });
});
