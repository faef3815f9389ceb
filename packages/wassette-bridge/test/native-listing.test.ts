import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Filetype } from '@portalis/wasi';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeListing, nativeLister, WassetteClient } from '../src/index.js';

/** A listing buffer in the addon's layout, written by hand. */
function listingBuffer(entries: { ino: bigint; type: number; name: Uint8Array }[], count = entries.length): Uint8Array {
  const names = entries.reduce((n, e) => n + e.name.length + 1, 0);
  const out = new Uint8Array(8 + entries.length * 9 + names);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  entries.forEach((e, i) => {
    view.setBigUint64(8 + i * 8, e.ino, true);
    out[8 + entries.length * 8 + i] = e.type;
  });
  let at = 8 + entries.length * 9;
  for (const e of entries) {
    out.set(e.name, at);
    at += e.name.length + 1;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('decodeListing', () => {
  it('reads inodes (all 64 bits), types and names, invalid UTF-8 as U+FFFD', () => {
    const big = (1n << 63n) + 5n;
    const listing = decodeListing(
      listingBuffer([
        { ino: 12n, type: Filetype.REGULAR_FILE, name: utf8('a.txt') },
        { ino: big, type: Filetype.DIRECTORY, name: utf8('日本') },
        { ino: 7n, type: Filetype.SYMBOLIC_LINK, name: new Uint8Array([0x66, 0xff]) },
      ]),
    );
    expect(listing.names).toEqual(['a.txt', '日本', 'f\uFFFD']);
    expect(Array.from(listing.inodes)).toEqual([12n, big, 7n]);
    expect(Array.from(listing.filetypes)).toEqual([Filetype.REGULAR_FILE, Filetype.DIRECTORY, Filetype.SYMBOLIC_LINK]);
    expect(decodeListing(listingBuffer([])).names).toEqual([]);
  });

  it('refuses a buffer that is cut short or whose count and names disagree', () => {
    const one = listingBuffer([{ ino: 1n, type: 4, name: utf8('x') }]);
    expect(() => decodeListing(one.subarray(0, 12))).toThrow(/cut short/);
    expect(() => decodeListing(listingBuffer([{ ino: 1n, type: 4, name: utf8('x') }], 2))).toThrow(RangeError);
    expect(() => decodeListing(one.subarray(0, one.length - 1))).toThrow(/not terminated/);
  });
});

// The lister comes from the Wasmtime addon; without it there is nothing native to compare. CI
// builds the addon and sets PORTALIS_REQUIRE_NATIVE=1, which makes select-engine.test.ts fail if
// it is missing.
const haveAddon = new WassetteClient().engines().some((e) => e.name === 'wasmtime' && e.available);

describe.runIf(haveAddon && process.platform === 'linux')('the addon lister', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'portalis-native-listing-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives the names, inodes and types an lstat of each entry gives', () => {
    const lister = nativeLister();
    expect(lister).toBeTypeOf('function');
    mkdirSync(join(tmp, 'sub'));
    writeFileSync(join(tmp, 'file.txt'), 'x');
    writeFileSync(join(tmp, 'é-日本.txt'), 'y');
    symlinkSync('file.txt', join(tmp, 'link'));
    symlinkSync('nowhere', join(tmp, 'dangling'));
    for (let i = 0; i < 2000; i++) writeFileSync(join(tmp, `n${i}`), '');
    const fd = openSync(tmp, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const listing = lister?.(fd);
      expect(listing?.names.length).toBe(2005);
      listing?.names.forEach((name, i) => {
        const st = lstatSync(join(tmp, name), { bigint: true });
        expect(listing.inodes[i], name).toBe(st.ino);
        const type = st.isDirectory()
          ? Filetype.DIRECTORY
          : st.isSymbolicLink()
            ? Filetype.SYMBOLIC_LINK
            : Filetype.REGULAR_FILE;
        expect(listing.filetypes[i], name).toBe(type);
      });
      expect(new Set(listing?.names)).toContain('é-日本.txt');
      expect(new Set(listing?.names)).toContain('dangling');
    } finally {
      closeSync(fd);
    }
  });

  it('fails on a descriptor that is not an open directory (the host then lists the portable way)', () => {
    const lister = nativeLister();
    const fd = openSync(join(tmp, 'file.txt'), 'r');
    try {
      expect(() => lister?.(fd)).toThrow(/descriptor/);
    } finally {
      closeSync(fd);
    }
    expect(() => lister?.(987654)).toThrow(/descriptor 987654/);
  });
});
