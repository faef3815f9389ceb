import type { DirectoryLister, DirectoryListing } from '@portalis/wasi';
import { loadAddon } from '../wasmtime/addon.js';

const decoder = new TextDecoder();

/**
 * Decodes the addon's listing buffer: `u32` count (little-endian) and 4 bytes of padding, then
 * `count` x `u64` inode, `count` x `u8` WASI filetype, then the names, each ending in a NUL byte.
 * Names are decoded as Node decodes directory names (invalid UTF-8 becomes U+FFFD).
 */
export function decodeListing(buffer: Uint8Array): DirectoryListing {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const count = view.getUint32(0, true);
  const typesAt = 8 + count * 8;
  if (buffer.byteLength < typesAt + count) throw new RangeError(`a listing of ${count} entries is cut short`);
  const inodes = new Array<bigint>(count);
  for (let i = 0; i < count; i++) inodes[i] = view.getBigUint64(8 + i * 8, true);
  const names = count === 0 ? [] : decoder.decode(buffer.subarray(typesAt + count)).split('\0');
  // Every name ends in NUL, so the split leaves one empty string after the last.
  if (names.length > 0 && names.pop() !== '') throw new RangeError('the last name of a listing is not terminated');
  if (names.length !== count) throw new RangeError(`a listing of ${count} entries holds ${names.length} names`);
  return { names, inodes, filetypes: buffer.subarray(typesAt, typesAt + count) };
}

let lister: DirectoryLister | null | undefined;

/**
 * The Wasmtime addon's directory lister when the addon is built, so that `fd_readdir` on a host
 * directory reads inode numbers with the names instead of one lstat per entry; otherwise
 * undefined, and the WASI host lists the portable way. `PORTALIS_NATIVE_LISTING=0` turns it off.
 */
export function nativeLister(): DirectoryLister | undefined {
  if (lister !== undefined) return lister ?? undefined;
  lister = null;
  if (process.env.PORTALIS_NATIVE_LISTING === '0') return undefined;
  const loaded = loadAddon();
  if (!('addon' in loaded)) return undefined;
  const list = loaded.addon.listDirectoryFd;
  if (typeof list !== 'function') return undefined;
  lister = (fd) => decodeListing(list(fd));
  return lister;
}
