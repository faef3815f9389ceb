import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { watToWasm } from '../../../tools/build-fixtures.mts';
import {
  ALL_RIGHTS,
  type FsBackend,
  HostDirectory,
  MemoryFs,
  WASI_PREVIEW1_SIGNATURES,
  type WasiFunctionName,
  WasiHost,
  type WasiHostOptions,
} from '../src/index.js';

type Arg = number | bigint;
export type Caller = Record<WasiFunctionName, (...args: Arg[]) => number>;

/**
 * WAT for a guest that imports every preview1 function and exports a wrapper of the same name
 * that calls it, so tests drive each import through a real wasm-to-host call with exact values.
 */
export function callerWat(): string {
  const lines = ['(module'];
  for (const [name, sig] of Object.entries(WASI_PREVIEW1_SIGNATURES)) {
    const params = sig.params.map((p) => `(param ${p})`).join(' ');
    const result = sig.result ? `(result ${sig.result})` : '';
    lines.push(`  (import "wasi_snapshot_preview1" "${name}" (func $${name} ${params} ${result}))`);
  }
  lines.push('  (memory (export "memory") 4)');
  for (const [name, sig] of Object.entries(WASI_PREVIEW1_SIGNATURES)) {
    const params = sig.params.map((p) => `(param ${p})`).join(' ');
    const result = sig.result ? `(result ${sig.result})` : '';
    const gets = sig.params.map((_, i) => `(local.get ${i})`).join(' ');
    lines.push(`  (func (export "${name}") ${params} ${result} (call $${name} ${gets}))`);
  }
  lines.push(')');
  return lines.join('\n');
}

let callerModule: Promise<WebAssembly.Module> | undefined;
const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles WAT once per test file. */
export function compileWat(wat: string): Promise<WebAssembly.Module> {
  let m = modules.get(wat);
  if (!m) {
    m = watToWasm(wat).then((bytes) => WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
    modules.set(wat, m);
  }
  return m;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Scratch layout of the caller guest: results at 0..1023, bump-allocated data from 1024. */
export class Guest {
  readonly call: Caller;
  private next = 1024;

  constructor(
    readonly host: WasiHost,
    readonly instance: WebAssembly.Instance,
  ) {
    this.call = instance.exports as unknown as Caller;
  }

  get memory(): WebAssembly.Memory {
    return this.instance.exports.memory as WebAssembly.Memory;
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  alloc(n: number, align = 8): number {
    this.next = Math.ceil(this.next / align) * align;
    const p = this.next;
    this.next += n;
    if (this.next > this.memory.buffer.byteLength) throw new Error('test guest out of scratch memory');
    return p;
  }

  /** Copies bytes (or a UTF-8 string) into guest memory; returns [ptr, len]. */
  put(data: string | Uint8Array): [number, number] {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    const p = this.alloc(bytes.length, 1);
    new Uint8Array(this.memory.buffer, p, bytes.length).set(bytes);
    return [p, bytes.length];
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, len).slice();
  }

  text(ptr: number, len: number): string {
    return dec.decode(this.bytes(ptr, len));
  }

  u8(ptr: number): number {
    return this.view().getUint8(ptr);
  }

  u16(ptr: number): number {
    return this.view().getUint16(ptr, true);
  }

  u32(ptr: number): number {
    return this.view().getUint32(ptr, true);
  }

  u64(ptr: number): bigint {
    return this.view().getBigUint64(ptr, true);
  }

  /** path_open; returns the errno and the new fd (when the errno is 0). */
  open(
    dirfd: number,
    path: string | Uint8Array,
    opts: { oflags?: number; rights?: bigint; inheriting?: bigint; fdflags?: number; follow?: boolean } = {},
  ): { errno: number; fd: number } {
    const [p, l] = this.put(path);
    const out = this.alloc(4);
    const errno = this.call.path_open(
      dirfd,
      opts.follow === false ? 0 : 1,
      p,
      l,
      opts.oflags ?? 0,
      opts.rights ?? BigInt(ALL_RIGHTS),
      opts.inheriting ?? BigInt(ALL_RIGHTS),
      opts.fdflags ?? 0,
      out,
    );
    return { errno, fd: errno === 0 ? this.u32(out) : -1 };
  }

  /** fd_write of one buffer; returns the errno and the byte count. */
  write(fd: number, data: string | Uint8Array): { errno: number; n: number } {
    const [p, l] = this.put(data);
    const iov = this.alloc(8);
    this.view().setUint32(iov, p, true);
    this.view().setUint32(iov + 4, l, true);
    const out = this.alloc(4);
    const errno = this.call.fd_write(fd, iov, 1, out);
    return { errno, n: errno === 0 ? this.u32(out) : 0 };
  }

  /** fd_read of up to `max` bytes; returns the errno and what was read as text. */
  read(fd: number, max = 4096): { errno: number; text: string; bytes: Uint8Array } {
    const buf = this.alloc(max);
    const iov = this.alloc(8);
    this.view().setUint32(iov, buf, true);
    this.view().setUint32(iov + 4, max, true);
    const out = this.alloc(4);
    const errno = this.call.fd_read(fd, iov, 1, out);
    const bytes = errno === 0 ? this.bytes(buf, this.u32(out)) : new Uint8Array();
    return { errno, text: dec.decode(bytes), bytes };
  }

  /** Opens, reads all (up to 64 KiB) and closes; returns the errno of the first failing step. */
  readFile(dirfd: number, path: string): { errno: number; text: string } {
    const o = this.open(dirfd, path, { rights: READ_RIGHTS });
    if (o.errno) return { errno: o.errno, text: '' };
    const r = this.read(o.fd, 65536);
    this.call.fd_close(o.fd);
    return { errno: r.errno, text: r.text };
  }

  /** Calls a path function taking (fd, path_ptr, path_len). */
  pathCall(
    fn: 'path_create_directory' | 'path_remove_directory' | 'path_unlink_file',
    dirfd: number,
    path: string | Uint8Array,
  ): number {
    const [p, l] = this.put(path);
    return this.call[fn](dirfd, p, l);
  }

  symlink(target: string, dirfd: number, path: string): number {
    const [tp, tl] = this.put(target);
    const [p, l] = this.put(path);
    return this.call.path_symlink(tp, tl, dirfd, p, l);
  }

  rename(dirfd: number, from: string, toFd: number, to: string): number {
    const [a, al] = this.put(from);
    const [b, bl] = this.put(to);
    return this.call.path_rename(dirfd, a, al, toFd, b, bl);
  }

  link(dirfd: number, from: string, toFd: number, to: string, follow = false): number {
    const [a, al] = this.put(from);
    const [b, bl] = this.put(to);
    return this.call.path_link(dirfd, follow ? 1 : 0, a, al, toFd, b, bl);
  }

  readlink(dirfd: number, path: string, size = 256): { errno: number; text: string } {
    const [p, l] = this.put(path);
    const buf = this.alloc(size);
    const used = this.alloc(4);
    const errno = this.call.path_readlink(dirfd, p, l, buf, size, used);
    return { errno, text: errno === 0 ? this.text(buf, this.u32(used)) : '' };
  }

  /** path_filestat_get; returns the errno and the decoded filestat. */
  stat(dirfd: number, path: string | Uint8Array, follow = true): { errno: number; stat: Filestat } {
    const [p, l] = this.put(path);
    const buf = this.alloc(64);
    const errno = this.call.path_filestat_get(dirfd, follow ? 1 : 0, p, l, buf);
    return { errno, stat: this.filestat(buf) };
  }

  fstat(fd: number): { errno: number; stat: Filestat } {
    const buf = this.alloc(64);
    const errno = this.call.fd_filestat_get(fd, buf);
    return { errno, stat: this.filestat(buf) };
  }

  filestat(ptr: number): Filestat {
    return {
      dev: this.u64(ptr),
      ino: this.u64(ptr + 8),
      filetype: this.u8(ptr + 16),
      nlink: this.u64(ptr + 24),
      size: this.u64(ptr + 32),
      atim: this.u64(ptr + 40),
      mtim: this.u64(ptr + 48),
      ctim: this.u64(ptr + 56),
    };
  }

  /** Reads a whole directory through fd_readdir with a small buffer, following cookies. */
  readdir(fd: number, bufSize = 128): { errno: number; entries: Dirent[] } {
    const buf = this.alloc(bufSize);
    const used = this.alloc(4);
    const entries: Dirent[] = [];
    let cookie = 0n;
    for (;;) {
      const errno = this.call.fd_readdir(fd, buf, bufSize, cookie, used);
      if (errno) return { errno, entries };
      const n = this.u32(used);
      let at = 0;
      let progressed = false;
      while (at + 24 <= n) {
        const namlen = this.u32(buf + at + 16);
        if (at + 24 + namlen > n) break;
        entries.push({
          next: this.u64(buf + at),
          ino: this.u64(buf + at + 8),
          type: this.u8(buf + at + 20),
          name: this.text(buf + at + 24, namlen),
        });
        cookie = this.u64(buf + at);
        at += 24 + namlen;
        progressed = true;
      }
      if (n < bufSize) return { errno: 0, entries };
      if (!progressed) throw new Error('readdir buffer too small for one entry');
    }
  }
}

export interface Filestat {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

export interface Dirent {
  next: bigint;
  ino: bigint;
  type: number;
  name: string;
}

/** A host with the caller guest instantiated and bound (not started). */
export async function makeGuest(options: WasiHostOptions = {}): Promise<Guest> {
  callerModule ??= compileWat(callerWat());
  const host = new WasiHost(options);
  const instance = await WebAssembly.instantiate(await callerModule, host.imports);
  host.bind(instance);
  return new Guest(host, instance);
}

/** Runs a WAT command to completion; returns the host (for its output) and the exit code. */
export async function runCommand(
  wat: string,
  options: WasiHostOptions = {},
): Promise<{ host: WasiHost; code: number }> {
  const module = await compileWat(wat);
  const host = new WasiHost(options);
  const instance = await WebAssembly.instantiate(module, host.imports);
  return { host, code: host.start(instance) };
}

/**
 * One backend under test with the same host-side helpers for both kinds, so every filesystem and
 * hostile test runs on both. The host kind grants `<tmp>/sandbox` and keeps `<tmp>/outside`
 * (holding `secret.txt`) next to it; escapes aim there.
 */
export interface FsFixture {
  kind: 'host' | 'host-paths' | 'memory';
  backend: FsBackend;
  write(path: string, content: string): void;
  mkdir(path: string): void;
  symlink(target: string, path: string): void;
  read(path: string): string | undefined;
  exists(path: string): boolean;
  /** Where the host-only `outside` directory is, relative to the sandbox (host kinds only). */
  cleanup(): void;
}

export const OUTSIDE_SECRET = 'TOP SECRET host data';

export function hostFixture(useProcFd?: boolean): FsFixture {
  const tmp = mkdtempSync(join(tmpdir(), 'portalis-wasi-'));
  const root = join(tmp, 'sandbox');
  mkdirSync(root);
  mkdirSync(join(tmp, 'outside'));
  writeFileSync(join(tmp, 'outside', 'secret.txt'), OUTSIDE_SECRET);
  return {
    kind: useProcFd === false ? 'host-paths' : 'host',
    backend: new HostDirectory(root, useProcFd === undefined ? {} : { useProcFd }),
    write(path, content) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    mkdir(path) {
      mkdirSync(join(root, path), { recursive: true });
    },
    symlink(target, path) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      symlinkSync(target, join(root, path));
    },
    read(path) {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    exists(path) {
      try {
        lstatSync(join(root, path));
        return true;
      } catch {
        return false;
      }
    },
    cleanup() {
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function memoryFixture(): FsFixture {
  const fs = new MemoryFs();
  return {
    kind: 'memory',
    backend: fs,
    write: (path, content) => fs.add(path, content),
    mkdir: (path) => fs.add(path, { dir: true }),
    symlink: (target, path) => fs.add(path, { symlink: target }),
    read: (path) => {
      const b = fs.readFile(path);
      return b ? dec.decode(b) : undefined;
    },
    exists: (path) => fs.typeOf(path) !== undefined,
    cleanup() {},
  };
}

/** The backends every filesystem suite runs on: Linux /proc openat emulation, plain paths, memory. */
export const FIXTURES: Array<[string, () => FsFixture]> = [
  ['host directory', () => hostFixture()],
  ['host directory (path fallback)', () => hostFixture(false)],
  ['memory', memoryFixture],
];

/** Rights without FD_WRITE & co, as wasi-libc asks for O_RDONLY. */
export const READ_RIGHTS = BigInt(ALL_RIGHTS) & ~(64n | 256n | (1n << 22n));
