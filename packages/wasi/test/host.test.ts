import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HostDirectory,
  MemoryFs,
  WASI_PREVIEW1_SIGNATURES,
  WasiConfigError,
  WasiExit,
  WasiHost,
  WasiMemoryFault,
} from '../src/index.js';
import { compileWat, makeGuest, runCommand } from './helpers.js';

const HELLO = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 6))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

const EXIT3 = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3)) unreachable))`;

const REACTOR = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 42)))
  (func (export "ready") (result i32) (global.get $ready)))`;

describe('lifecycle', () => {
  it('start() runs _start and reports 0 when it returns', async () => {
    const { host, code } = await runCommand(HELLO);
    expect(code).toBe(0);
    expect(host.exitCode).toBe(0);
    expect(host.stdoutText()).toBe('hello\n');
  });

  it('proc_exit becomes the exit code', async () => {
    const { code } = await runCommand(EXIT3);
    expect(code).toBe(3);
  });

  it('initialize() calls _initialize and leaves the reactor usable', async () => {
    const host = new WasiHost();
    const instance = await WebAssembly.instantiate(await compileWat(REACTOR), host.imports);
    host.initialize(instance);
    expect((instance.exports.ready as () => number)()).toBe(42);
    host.close();
  });

  it('refuses a second run on the same host', async () => {
    const host = new WasiHost();
    const instance = await WebAssembly.instantiate(await compileWat(HELLO), host.imports);
    host.start(instance);
    expect(() => host.start(instance)).toThrow(expect.objectContaining({ code: 'already-started' }));
  });

  it('reports a module without _start or without memory', async () => {
    const host = new WasiHost();
    const reactor = await WebAssembly.instantiate(await compileWat(REACTOR), host.imports);
    expect(() => host.start(reactor)).toThrow(expect.objectContaining({ code: 'missing-export' }));
    const noMemory = await WebAssembly.instantiate(await compileWat('(module (func (export "_start")))'), {});
    expect(() => new WasiHost().start(noMemory)).toThrow(expect.objectContaining({ code: 'missing-memory' }));
  });

  it('a pointer outside guest memory traps with WasiMemoryFault (the witx docs say trap)', async () => {
    const g = await makeGuest();
    expect(() => g.call.args_sizes_get(0xffff_fff0, 0)).toThrow(WasiMemoryFault);
  });

  it('WasiExit escapes calls made outside start()', async () => {
    const g = await makeGuest();
    expect(() => g.call.proc_exit(7)).toThrow(expect.objectContaining({ exitCode: 7 }));
    expect(() => g.call.proc_exit(7)).toThrow(WasiExit);
  });
});

describe('every preview1 function', () => {
  it('is provided, and none throws for want of an implementation', async () => {
    const g = await makeGuest();
    const names = Object.keys(WASI_PREVIEW1_SIGNATURES);
    expect(names).toHaveLength(46);
    expect(Object.keys(g.host.imports.wasi_snapshot_preview1).sort()).toEqual([...names].sort());
    for (const [name, sig] of Object.entries(WASI_PREVIEW1_SIGNATURES)) {
      if (name === 'proc_exit' || name === 'proc_raise') continue;
      // Descriptor 99 is never open; zero elsewhere. Every call must answer with an errno.
      const args = sig.params.map((p, i) =>
        i === 0 && name.startsWith('fd_') ? (p === 'i64' ? 0n : 99) : p === 'i64' ? 0n : 0,
      );
      const errno = g.call[name as keyof typeof g.call](...args);
      expect(typeof errno, name).toBe('number');
    }
  });
});

describe('configuration is checked up front', () => {
  it('rejects a preopen without backend, a duplicate guest path, a missing host directory', () => {
    expect(() => new WasiHost({ preopens: [{ guestPath: '/a' } as never] })).toThrow(
      expect.objectContaining({ code: 'invalid-preopen' }),
    );
    const fs = new MemoryFs();
    expect(
      () =>
        new WasiHost({
          preopens: [
            { guestPath: '/a', backend: fs },
            { guestPath: '/a', backend: fs },
          ],
        }),
    ).toThrow(WasiConfigError);
    expect(() => new HostDirectory('/definitely/not/here')).toThrow(
      expect.objectContaining({ code: 'invalid-preopen' }),
    );
    const tmp = mkdtempSync(join(tmpdir(), 'portalis-wasi-cfg-'));
    writeFileSync(join(tmp, 'file'), 'x');
    expect(() => new HostDirectory(join(tmp, 'file'))).toThrow(expect.objectContaining({ code: 'invalid-preopen' }));
    rmSync(tmp, { recursive: true });
  });

  it('rejects bad env patterns, NUL in args, bad output caps and fractional seeds', () => {
    expect(() => new WasiHost({ env: { allow: ['A=B'] } })).toThrow(expect.objectContaining({ code: 'invalid-env' }));
    expect(() => new WasiHost({ env: { 'BAD=NAME': 'x' } })).toThrow(expect.objectContaining({ code: 'invalid-env' }));
    expect(() => new WasiHost({ args: ['a\0b'] })).toThrow(expect.objectContaining({ code: 'invalid-option' }));
    expect(() => new WasiHost({ stdout: { maxBytes: -1 } })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
    expect(() => new WasiHost({ deterministic: { seed: 1.5 } })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
  });
});
