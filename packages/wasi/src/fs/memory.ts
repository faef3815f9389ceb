import { Errno, Filetype } from '../abi.js';
import { fail } from '../errors.js';
import type {
  FsBackend,
  FsContext,
  FsDirEntry,
  FsDirectory,
  FsFile,
  FsOpened,
  FsOpenFlags,
  FsStat,
} from './backend.js';

type MemNode = MemFile | MemDir | MemSymlink;

interface NodeBase {
  ino: bigint;
  nlink: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}
interface MemFile extends NodeBase {
  kind: 'file';
  data: Uint8Array;
  size: number;
}
interface MemDir extends NodeBase {
  kind: 'dir';
  children: Map<string, MemNode>;
  /** null for the root and for a removed directory still held open. */
  parent: MemDir | null;
}
interface MemSymlink extends NodeBase {
  kind: 'symlink';
  target: string;
}

/** Initial content for `new MemoryFs({ files })`: file bytes or text, `{ symlink }`, or `{ dir: true }`. */
export type MemoryEntry = string | Uint8Array | { symlink: string } | { dir: true };

export interface MemoryFsOptions {
  /** Paths (relative, `/`-separated; parents created as needed) and what they hold. */
  files?: Record<string, MemoryEntry>;
  /** Total bytes of file content the tree may hold; writes beyond fail with NOSPC. Default 64 MiB. */
  maxBytes?: number;
}

const FILETYPE = { file: Filetype.REGULAR_FILE, dir: Filetype.DIRECTORY, symlink: Filetype.SYMBOLIC_LINK } as const;
const MAX_FILE_SIZE = 2 ** 31;
let nextDev = 1n;

/**
 * An in-memory directory tree: scratch space that never touches disk, the filesystem for tests,
 * and later the browser's. Single-threaded JS makes every operation atomic, so this backend has
 * no check-then-use races at all. The same tree can be granted to several hosts in turn.
 */
export class MemoryFs implements FsBackend {
  readonly kind = 'memory';
  readonly maxBytes: number;
  /** Bytes of file content currently held. */
  usedBytes = 0;
  private readonly root: MemDir;
  private readonly dev = nextDev++;
  private nextIno = 1n;
  private context: FsContext = { nowNs: () => BigInt(Date.now()) * 1_000_000n };

  constructor(options: MemoryFsOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.root = this.newDir(null);
    for (const [path, entry] of Object.entries(options.files ?? {})) this.add(path, entry);
  }

  openRoot(context: FsContext): FsDirectory {
    this.context = context;
    return new MemDirectory(this, this.root);
  }

  /** Host-side helper: creates `path` (parents included) with the given content. Trusted input. */
  add(path: string, entry: MemoryEntry): void {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    const name = parts.pop();
    if (name === undefined) throw new Error(`MemoryFs.add: empty path ${JSON.stringify(path)}`);
    let dir = this.root;
    for (const part of parts) {
      let child = dir.children.get(part);
      if (!child) {
        child = this.newDir(dir);
        dir.children.set(part, child);
      }
      if (child.kind !== 'dir') throw new Error(`MemoryFs.add: ${part} in ${path} is not a directory`);
      dir = child;
    }
    let node: MemNode;
    if (typeof entry === 'string' || entry instanceof Uint8Array) {
      const bytes = typeof entry === 'string' ? new TextEncoder().encode(entry) : entry.slice();
      node = this.newFile();
      node.data = bytes;
      node.size = bytes.length;
      this.usedBytes += bytes.length;
    } else if ('symlink' in entry) node = this.newSymlink(entry.symlink);
    else node = dir.children.get(name)?.kind === 'dir' ? (dir.children.get(name) as MemDir) : this.newDir(dir);
    dir.children.set(name, node);
  }

  /** Host-side helper: the bytes of a file, or undefined. Does not follow symlinks. */
  readFile(path: string): Uint8Array | undefined {
    const node = this.find(path);
    return node?.kind === 'file' ? node.data.slice(0, node.size) : undefined;
  }

  /** Host-side helper: what is at `path` (`'file' | 'dir' | 'symlink'`), or undefined. */
  typeOf(path: string): MemNode['kind'] | undefined {
    return this.find(path)?.kind;
  }

  /** Host-side helper: names in a directory, sorted. */
  list(path = '.'): string[] {
    const node = path === '.' ? this.root : this.find(path);
    return node?.kind === 'dir' ? [...node.children.keys()].sort() : [];
  }

  private find(path: string): MemNode | undefined {
    let node: MemNode = this.root;
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (node.kind !== 'dir') return undefined;
      const next = node.children.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  nowNs(): bigint {
    return this.context.nowNs();
  }

  private base(): NodeBase {
    const now = this.nowNs();
    return { ino: this.nextIno++, nlink: 1n, atimNs: now, mtimNs: now, ctimNs: now };
  }

  newFile(): MemFile {
    return { ...this.base(), kind: 'file', data: new Uint8Array(0), size: 0 };
  }

  newDir(parent: MemDir | null): MemDir {
    return { ...this.base(), kind: 'dir', children: new Map(), parent, nlink: 2n };
  }

  newSymlink(target: string): MemSymlink {
    return { ...this.base(), kind: 'symlink', target };
  }

  statOf(node: MemNode): FsStat {
    return {
      dev: this.dev,
      ino: node.ino,
      filetype: FILETYPE[node.kind],
      nlink: node.nlink,
      size: node.kind === 'file' ? BigInt(node.size) : node.kind === 'symlink' ? BigInt(node.target.length) : 0n,
      atimNs: node.atimNs,
      mtimNs: node.mtimNs,
      ctimNs: node.ctimNs,
    };
  }

  /** Grows or shrinks a file's logical size, charging the quota. */
  resize(file: MemFile, size: number): void {
    if (size > MAX_FILE_SIZE) fail(Errno.FBIG);
    const delta = size - file.size;
    if (delta > 0 && this.usedBytes + delta > this.maxBytes) fail(Errno.NOSPC);
    if (size > file.data.length) {
      const grown = new Uint8Array(Math.min(MAX_FILE_SIZE, Math.max(size, file.data.length * 2, 64)));
      grown.set(file.data.subarray(0, file.size));
      file.data = grown;
    } else if (size < file.size) file.data.fill(0, size, file.size);
    this.usedBytes += delta;
    file.size = size;
  }

  /** Drops one link to `node`; a file's bytes are released when no link is left (open handles keep reading them). */
  dropLink(node: MemNode): void {
    node.nlink--;
    node.ctimNs = this.nowNs();
    if (node.kind === 'file' && node.nlink === 0n) this.usedBytes -= node.size;
  }
}

class MemDirectory implements FsDirectory {
  constructor(
    private readonly fs: MemoryFs,
    readonly node: MemDir,
  ) {}

  private child(name: string): MemNode {
    if (name === '.') return this.node;
    return this.node.children.get(name) ?? fail(Errno.NOENT);
  }

  private touch(): void {
    const now = this.fs.nowNs();
    this.node.mtimNs = now;
    this.node.ctimNs = now;
  }

  /** Mutations inside a directory that was removed while held are refused, as on Linux. */
  private checkLive(): void {
    if (this.node.nlink === 0n) fail(Errno.NOENT);
  }

  stat(): FsStat {
    return this.fs.statOf(this.node);
  }

  lookup(name: string): FsStat {
    return this.fs.statOf(this.child(name));
  }

  parentIno(): bigint {
    return (this.node.parent ?? this.node).ino;
  }

  readlink(name: string): string {
    const node = this.child(name);
    if (node.kind !== 'symlink') fail(Errno.INVAL);
    return node.target;
  }

  openDirectory(name: string): FsDirectory {
    const node = this.child(name);
    if (node.kind === 'symlink') fail(Errno.LOOP);
    if (node.kind !== 'dir') fail(Errno.NOTDIR);
    return new MemDirectory(this.fs, node);
  }

  openFile(name: string, flags: FsOpenFlags): FsOpened {
    let node = name === '.' ? this.node : this.node.children.get(name);
    if (node && flags.create && flags.exclusive) fail(Errno.EXIST);
    if (!node) {
      if (!flags.create) fail(Errno.NOENT);
      if (flags.directory) fail(Errno.INVAL);
      this.checkLive();
      node = this.fs.newFile();
      this.node.children.set(name, node);
      this.touch();
    }
    if (node.kind === 'symlink') fail(Errno.LOOP);
    if (node.kind === 'dir') {
      if (flags.write || flags.truncate) fail(Errno.ISDIR);
      return { kind: 'directory', directory: new MemDirectory(this.fs, node) };
    }
    if (flags.directory) fail(Errno.NOTDIR);
    if (flags.truncate && node.size > 0) {
      this.fs.resize(node, 0);
      node.mtimNs = node.ctimNs = this.fs.nowNs();
    }
    return { kind: 'file', file: new MemFileHandle(this.fs, node) };
  }

  private insertNew(name: string, node: MemNode): void {
    if (name === '.' || this.node.children.has(name)) fail(Errno.EXIST);
    this.checkLive();
    this.node.children.set(name, node);
    this.touch();
  }

  createDirectory(name: string): void {
    if (name === '.' || this.node.children.has(name)) fail(Errno.EXIST);
    this.insertNew(name, this.fs.newDir(this.node));
    this.node.nlink++;
  }

  removeDirectory(name: string): void {
    if (name === '.') fail(Errno.INVAL);
    const node = this.child(name);
    if (node.kind !== 'dir') fail(Errno.NOTDIR);
    if (node.children.size > 0) fail(Errno.NOTEMPTY);
    this.node.children.delete(name);
    this.node.nlink--;
    node.nlink = 0n;
    node.parent = null;
    this.touch();
  }

  unlinkFile(name: string): void {
    if (name === '.') fail(Errno.ISDIR);
    const node = this.child(name);
    if (node.kind === 'dir') fail(Errno.ISDIR);
    this.node.children.delete(name);
    this.fs.dropLink(node);
    this.touch();
  }

  rename(name: string, target: FsDirectory, targetName: string): void {
    if (!(target instanceof MemDirectory) || target.fs !== this.fs) fail(Errno.XDEV);
    if (name === '.' || targetName === '.') fail(Errno.BUSY);
    const node = this.child(name);
    const dest = target.node;
    const existing = dest.children.get(targetName);
    if (existing === node) return;
    if (node.kind === 'dir') {
      for (let d: MemDir | null = dest; d; d = d.parent) if (d === node) fail(Errno.INVAL);
      if (existing && existing.kind !== 'dir') fail(Errno.NOTDIR);
      if (existing && existing.kind === 'dir' && existing.children.size > 0) fail(Errno.NOTEMPTY);
    } else if (existing?.kind === 'dir') fail(Errno.ISDIR);
    target.checkLive();
    if (existing) {
      if (existing.kind === 'dir') {
        existing.nlink = 0n;
        existing.parent = null;
        dest.nlink--;
      } else this.fs.dropLink(existing);
    }
    this.node.children.delete(name);
    dest.children.set(targetName, node);
    if (node.kind === 'dir') {
      node.parent = dest;
      this.node.nlink--;
      dest.nlink++;
    }
    node.ctimNs = this.fs.nowNs();
    this.touch();
    target.touch();
  }

  link(name: string, target: FsDirectory, targetName: string): void {
    if (!(target instanceof MemDirectory) || target.fs !== this.fs) fail(Errno.XDEV);
    const node = this.child(name);
    if (node.kind === 'dir') fail(Errno.PERM);
    target.insertNew(targetName, node);
    node.nlink++;
    node.ctimNs = this.fs.nowNs();
  }

  symlink(linkTarget: string, name: string): void {
    this.insertNew(name, this.fs.newSymlink(linkTarget));
  }

  setTimes(name: string, atimNs: bigint | null, mtimNs: bigint | null): void {
    const node = this.child(name);
    if (atimNs !== null) node.atimNs = atimNs;
    if (mtimNs !== null) node.mtimNs = mtimNs;
    node.ctimNs = this.fs.nowNs();
  }

  readdir(): FsDirEntry[] {
    const out: FsDirEntry[] = [];
    for (const [name, node] of this.node.children) out.push({ name, filetype: FILETYPE[node.kind], ino: node.ino });
    return out;
  }

  sync(): void {}
  close(): void {}
}

class MemFileHandle implements FsFile {
  constructor(
    private readonly fs: MemoryFs,
    private readonly node: MemFile,
  ) {}

  stat(): FsStat {
    return this.fs.statOf(this.node);
  }

  read(into: Uint8Array, position: bigint): number {
    const node = this.node;
    if (position >= BigInt(node.size)) return 0;
    const start = Number(position);
    const n = Math.min(into.length, node.size - start);
    into.set(node.data.subarray(start, start + n));
    return n;
  }

  write(from: Uint8Array, position: bigint): number {
    const node = this.node;
    const end = position + BigInt(from.length);
    if (end > BigInt(MAX_FILE_SIZE)) fail(Errno.FBIG);
    const start = Number(position);
    if (start + from.length > node.size) this.fs.resize(node, start + from.length);
    node.data.set(from, start);
    node.mtimNs = node.ctimNs = this.fs.nowNs();
    return from.length;
  }

  setSize(size: bigint): void {
    if (size > BigInt(MAX_FILE_SIZE)) fail(Errno.FBIG);
    this.fs.resize(this.node, Number(size));
    this.node.mtimNs = this.node.ctimNs = this.fs.nowNs();
  }

  setTimes(atimNs: bigint | null, mtimNs: bigint | null): void {
    if (atimNs !== null) this.node.atimNs = atimNs;
    if (mtimNs !== null) this.node.mtimNs = mtimNs;
    this.node.ctimNs = this.fs.nowNs();
  }

  sync(): void {}
  datasync(): void {}
  close(): void {}
}
