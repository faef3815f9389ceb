import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { call, compileWat, describeNative, NUMBERS_WAT, newEngine } from './helpers.ts';

describeNative('the .cwasm cache', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'wassette-native-cache-'));
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  const entries = () => readdirSync(cacheDir).filter((f) => f.endsWith('.cwasm'));

  it('loads the second compile from disk, and rebuilds a damaged entry', async () => {
    const engine = newEngine();
    const first = await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir });
    expect(first.source).toBe('compile');
    expect(entries()).toHaveLength(1);

    // A fresh engine has nothing in memory: this is the disk entry.
    const other = newEngine();
    const second = await compileWat(other, NUMBERS_WAT, { metered: false, cacheDir });
    expect(second.source).toBe('disk');
    const sum = await other.run(
      second,
      call('add32', [
        { type: 'i32', value: 1 },
        { type: 'i32', value: 2 },
      ]),
    );
    expect(sum.returns).toEqual([3]);

    const entry = join(cacheDir, entries()[0]!);
    const bytes = readFileSync(entry);
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(entry, bytes);
    const third = await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir });
    expect(third.source).toBe('rebuilt');
    const fourth = await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir });
    expect(fourth.source).toBe('disk');

    for (const module of [third, fourth]) {
      const outcome = await engine.run(
        module,
        call('add32', [
          { type: 'i32', value: 1 },
          { type: 'i32', value: 2 },
        ]),
      );
      expect(outcome.returns).toEqual([3]);
    }
  });

  it('keeps metered and unmetered code apart', async () => {
    const engine = newEngine();
    await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir });
    const metered = await compileWat(engine, NUMBERS_WAT, { metered: true, cacheDir });
    expect(metered.source).toBe('compile');
    expect(entries()).toHaveLength(2);
  });

  it('rebuilds a truncated entry', async () => {
    const engine = newEngine();
    await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir });
    const entry = join(cacheDir, entries()[0]!);
    writeFileSync(entry, readFileSync(entry).subarray(0, 20));
    expect((await compileWat(engine, NUMBERS_WAT, { metered: false, cacheDir })).source).toBe('rebuilt');
  });
});
