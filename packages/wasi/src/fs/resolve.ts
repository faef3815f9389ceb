import { Errno } from '../abi.js';
import { fail, WasiErrnoError } from '../errors.js';
import type { FsDirectory } from './backend.js';

/** Returned by a final step to ask the resolver to follow the symlink it found at `name`. */
export const FOLLOW: unique symbol = Symbol('follow-symlink');

/**
 * The operation at the end of a path. `dir` is held by the resolver for the duration of the call;
 * `name` is one component, or `'.'` when the path names the directory itself (`.`, `a/..`).
 * `mustBeDir` is set by a trailing `/` or `/.`. `depth` counts directories below the base.
 */
export type FinalStep<T> = (dir: FsDirectory, name: string, mustBeDir: boolean, depth: number) => T | typeof FOLLOW;

/** Linux's limit on symlinks followed in one resolution. */
export const MAX_SYMLINK_FOLLOWS = 40;
/** PATH_MAX and NAME_MAX as on Linux, applied to both backends so they answer alike. */
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

const encoder = new TextEncoder();

function byteLength(s: string): number {
  // Every UTF-16 unit encodes to at most 3 bytes, so short strings need no encoding.
  return s.length * 3 <= MAX_NAME_BYTES ? s.length : encoder.encode(s).length;
}

/** Rejects what no backend may see: NUL bytes, over-long paths or names. */
export function checkPathText(path: string, byteLen: number): void {
  if (path.includes('\0')) fail(Errno.INVAL, 'path contains a NUL byte');
  if (byteLen > MAX_PATH_BYTES) fail(Errno.NAMETOOLONG);
}

/**
 * Resolves `path` relative to `base` one component at a time and runs `final` on the last one.
 *
 * Confinement rules (the point of this package):
 * - an absolute path, or a symlink whose target is absolute, fails with PERM;
 * - `..` pops a directory this walk itself descended into, so it can never rise above `base`;
 *   one more `..` fails with PERM (Wasmtime's answer for escapes, and wasi-filesystem's);
 * - intermediate directories are opened without following symlinks; a symlink found on the way
 *   is read and its target spliced into the remaining path, so it is subject to the same rules;
 * - more than 40 symlinks fail with LOOP.
 * Every directory handle opened on the way is closed before returning.
 */
export function walkPath<T>(base: FsDirectory, path: string, final: FinalStep<T>): T {
  if (path.length === 0) fail(Errno.NOENT, 'empty path');
  if (path.charCodeAt(0) === 47) fail(Errno.PERM, 'absolute paths are not allowed');
  if (path.indexOf('/') < 0 && path !== '.' && path !== '..' && path.length <= MAX_NAME_BYTES / 3) {
    // One plain component (the common case): no walk, unless it turns out to be a symlink.
    const out = final(base, path, false, 0);
    if (out !== FOLLOW) return out;
  }
  const pending = path.split('/').reverse();
  const held: FsDirectory[] = [base];
  let follows = 0;
  try {
    while (pending.length > 0) {
      const name = pending.pop() as string;
      let isLast = true;
      for (let i = pending.length - 1; i >= 0; i--) {
        const next = pending[i];
        if (next !== '' && next !== '.') {
          isLast = false;
          break;
        }
      }
      const mustBeDir = isLast && pending.length > 0;
      if (isLast) pending.length = 0;
      if (name === '' || name === '.') {
        if (isLast) return finishAtDirectory(held, mustBeDir, final);
        continue;
      }
      if (name === '..') {
        if (held.length === 1) fail(Errno.PERM, '`..` leads outside the granted directory');
        (held.pop() as FsDirectory).close();
        if (isLast) return finishAtDirectory(held, mustBeDir, final);
        continue;
      }
      if (byteLength(name) > MAX_NAME_BYTES) fail(Errno.NAMETOOLONG);
      const top = held[held.length - 1] as FsDirectory;
      if (isLast) {
        const out = final(top, name, mustBeDir, held.length - 1);
        if (out !== FOLLOW) return out;
        spliceSymlink(top, name, pending, mustBeDir, ++follows);
        continue;
      }
      try {
        held.push(top.openDirectory(name));
      } catch (e) {
        if (!(e instanceof WasiErrnoError) || e.errno !== Errno.LOOP) throw e;
        spliceSymlink(top, name, pending, false, ++follows);
      }
    }
    // Only reachable when a symlink expanded to nothing but separators, which spliceSymlink refuses.
    return fail(Errno.NOENT);
  } finally {
    for (let i = held.length - 1; i > 0; i--) (held[i] as FsDirectory).close();
  }
}

function finishAtDirectory<T>(held: FsDirectory[], mustBeDir: boolean, final: FinalStep<T>): T {
  const out = final(held[held.length - 1] as FsDirectory, '.', mustBeDir, held.length - 1);
  // `.` is never a symlink, so a final step cannot sensibly ask to follow it.
  if (out === FOLLOW) return fail(Errno.LOOP);
  return out;
}

function spliceSymlink(
  dir: FsDirectory,
  name: string,
  pending: string[],
  trailingSlash: boolean,
  follows: number,
): void {
  if (follows > MAX_SYMLINK_FOLLOWS) fail(Errno.LOOP, 'too many levels of symbolic links');
  const target = dir.readlink(name);
  if (target.length === 0) fail(Errno.NOENT, 'empty symlink target');
  if (target.charCodeAt(0) === 47) fail(Errno.PERM, 'symlink to an absolute path');
  if (target.includes('\0')) fail(Errno.INVAL);
  if (trailingSlash) pending.push('');
  const parts = target.split('/');
  for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i] as string);
}

/**
 * True when a symlink created `depth` directories below the base with target `linkTarget` would
 * point above the base. Creating such links is refused, so a host tool that later follows links in
 * the granted directory cannot be led outside it by something the guest left behind.
 */
export function symlinkEscapes(linkTarget: string, depth: number): boolean {
  if (linkTarget.charCodeAt(0) === 47) return true;
  let level = depth;
  for (const part of linkTarget.split('/')) {
    if (part === '..') {
      level--;
      if (level < 0) return true;
    } else if (part !== '' && part !== '.') level++;
  }
  return false;
}
