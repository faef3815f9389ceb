import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactCache, cacheKey } from '../src/index.js';
import { scratch } from './helpers.js';

const wasm = (n: number) => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, n]);

function diskFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('cacheKey', () => {
  it('is a sha256 that separates its parts', () => {
    expect(cacheKey(['a', 'b'])).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey(['ab', 'c'])).not.toBe(cacheKey(['a', 'bc']));
    expect(cacheKey(['x'])).toBe(cacheKey(['x']));
  });
});

describe('ArtifactCache', () => {
  it('misses, then hits in memory with a copy of the bytes', async () => {
    const cache = new ArtifactCache();
    expect(await cache.get('k')).toBeUndefined();
    await cache.set('k', { wasm: wasm(1), warnings: [] });
    const hit = await cache.get('k');
    expect(hit?.tier).toBe('memory');
    expect(hit?.artifact.wasm).toEqual(wasm(1));
    hit?.artifact.wasm.fill(0);
    expect((await cache.get('k'))?.artifact.wasm).toEqual(wasm(1));
  });

  it('hits on disk after the memory tier is gone, then in memory again', async () => {
    const { dir } = scratch();
    const warnings = [{ severity: 'warning' as const, message: 'w' }];
    await new ArtifactCache({ dir }).set('abcd', { wasm: wasm(2), warnings });
    const fresh = new ArtifactCache({ dir });
    const first = await fresh.get('abcd');
    expect(first).toMatchObject({ tier: 'disk', artifact: { warnings } });
    expect(first?.artifact.wasm).toEqual(wasm(2));
    expect((await fresh.get('abcd'))?.tier).toBe('memory');
    expect(diskFiles(dir).map((f) => f.slice(dir.length))).toEqual(['/ab/abcd.json', '/ab/abcd.wasm']);
  });

  it('treats a damaged disk entry as a miss and removes it', async () => {
    const { dir } = scratch();
    await new ArtifactCache({ dir }).set('ef01', { wasm: wasm(3), warnings: [] });
    const file = join(dir, 'ef', 'ef01.wasm');
    writeFileSync(file, wasm(4));
    expect(await new ArtifactCache({ dir }).get('ef01')).toBeUndefined();
    expect(diskFiles(dir)).toEqual([]);
  });

  it('treats unreadable metadata as a miss', async () => {
    const { dir } = scratch();
    const cache = new ArtifactCache({ dir });
    await cache.set('0011', { wasm: wasm(5), warnings: [] });
    writeFileSync(join(dir, '00', '0011.json'), '{not json');
    expect(await new ArtifactCache({ dir }).get('0011')).toBeUndefined();
    expect(readFileSync(join(dir, '00', '0011.wasm'))).toHaveLength(9);
  });

  it('drops least recently used entries past its memory budget', async () => {
    const cache = new ArtifactCache({ maxMemoryBytes: 20 });
    await cache.set('a', { wasm: wasm(1), warnings: [] });
    await cache.set('b', { wasm: wasm(2), warnings: [] });
    await cache.get('a');
    await cache.set('c', { wasm: wasm(3), warnings: [] });
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.tier).toBe('memory');
  });

  it('keeps working when the disk tier cannot be written', async () => {
    const { write } = scratch();
    const notADir = write('file', 'x');
    const cache = new ArtifactCache({ dir: join(notADir, 'sub') });
    await cache.set('aa00', { wasm: wasm(6), warnings: [] });
    expect((await cache.get('aa00'))?.tier).toBe('memory');
  });
});
