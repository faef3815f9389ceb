import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidationReport } from '@portalis/wassette-bridge';
import { LRUCache } from 'lru-cache';
import type { Diagnostic } from './types.js';

/** A compiled artifact as the cache keeps it. */
export interface CachedArtifact {
  wasm: Uint8Array;
  warnings: Diagnostic[];
  /** The bridge's report, kept in memory only: a disk hit is validated again. */
  report?: ValidationReport;
}

export type CacheTier = 'memory' | 'disk';

export interface ArtifactCacheOptions {
  /** Folder for the disk tier; without it only the memory tier is used. */
  dir?: string;
  /** Bytes of wasm the memory tier keeps (least recently used dropped first); default 64 MiB. */
  maxMemoryBytes?: number;
}

/** sha256 over the parts, each prefixed by its length so that ("ab","c") and ("a","bc") differ. */
export function cacheKey(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex');
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface DiskMeta {
  sha256: string;
  warnings: Diagnostic[];
}

/**
 * Two tiers of compiled wasm by key: an in-memory LRU, then files on disk (`DIR/ab/abcd...wasm`
 * beside a `.json` with the wasm's sha256, checked on every read: a damaged or swapped file is a
 * miss, never a wrong artifact). Writes go through a temporary file and a rename, so parallel
 * processes never read half a file.
 */
export class ArtifactCache {
  readonly dir: string | undefined;
  private readonly memory: LRUCache<string, CachedArtifact>;

  constructor(options: ArtifactCacheOptions = {}) {
    this.dir = options.dir;
    this.memory = new LRUCache<string, CachedArtifact>({
      maxSize: options.maxMemoryBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (v) => Math.max(1, v.wasm.byteLength),
    });
  }

  private paths(key: string): { wasm: string; meta: string; folder: string } | undefined {
    if (!this.dir) return undefined;
    const folder = join(this.dir, key.slice(0, 2));
    return { folder, wasm: join(folder, `${key}.wasm`), meta: join(folder, `${key}.json`) };
  }

  /** The artifact and the tier it came from, or undefined on a miss. The bytes are a copy. */
  async get(key: string): Promise<{ artifact: CachedArtifact; tier: CacheTier } | undefined> {
    const hit = this.memory.get(key);
    if (hit) return { artifact: { ...hit, wasm: hit.wasm.slice() }, tier: 'memory' };
    const p = this.paths(key);
    if (!p) return undefined;
    let wasm: Uint8Array;
    let meta: DiskMeta;
    try {
      [wasm, meta] = await Promise.all([
        readFile(p.wasm).then((b) => new Uint8Array(b)),
        readFile(p.meta, 'utf8').then((t) => JSON.parse(t) as DiskMeta),
      ]);
    } catch {
      return undefined;
    }
    if (meta.sha256 !== sha256(wasm)) {
      await Promise.all([rm(p.wasm, { force: true }), rm(p.meta, { force: true })]);
      return undefined;
    }
    const artifact: CachedArtifact = { wasm, warnings: Array.isArray(meta.warnings) ? meta.warnings : [] };
    this.memory.set(key, { ...artifact, wasm: wasm.slice() });
    return { artifact, tier: 'disk' };
  }

  /** Keeps the artifact in memory and, with a folder, on disk (a failed disk write is not an error). */
  async set(key: string, artifact: CachedArtifact): Promise<void> {
    this.memory.set(key, { ...artifact, wasm: artifact.wasm.slice() });
    const p = this.paths(key);
    if (!p) return;
    try {
      await mkdir(p.folder, { recursive: true });
      const tmp = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      const meta: DiskMeta = { sha256: sha256(artifact.wasm), warnings: artifact.warnings };
      await writeFile(p.wasm + tmp, artifact.wasm);
      await writeFile(p.meta + tmp, JSON.stringify(meta));
      // The meta file lands last: a reader that finds it finds the wasm it describes.
      await rename(p.wasm + tmp, p.wasm);
      await rename(p.meta + tmp, p.meta);
    } catch {
      // A cache that cannot write is only slower.
    }
  }

  /** Forgets the memory tier (the disk tier stays), as a new process would start. */
  clearMemory(): void {
    this.memory.clear();
  }
}
