/**
 * Builds tools/bench/exec-kernel.c for the C rows of the benches: native with `gcc -O2`, and to
 * wasm with Debian's `clang -O2 --target=wasm32-wasi` (wasi-libc).
 *
 * clang runs binaryen's `wasm-opt` on its output when it finds one on PATH, and `npm run` puts
 * node_modules/.bin (where the binaryen package that AssemblyScript depends on installs one) first
 * on PATH. So the same command gave different modules depending on how the bench was started.
 * Here clang runs with node_modules/.bin removed from PATH, and the wasm-opt build is a separate,
 * explicit step (`wasm-opt -O2`, what clang would run), measured as its own variant.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const wasmOptBin = fileURLToPath(new URL('../../node_modules/.bin/wasm-opt', import.meta.url));

export type KernelBuild =
  | {
      /** gcc -O2. */
      native: string;
      /** clang -O2 alone. */
      wasm: string;
      /** The same after binaryen's `wasm-opt -O2`; undefined (with the reason) when it failed. */
      optimized: string | undefined;
      optimizedSkipped?: string;
    }
  | { skipped: string };

const firstLine = (e: unknown) => (e as Error).message.split('\n')[0];

/** PATH without node_modules/.bin entries, so that clang finds no wasm-opt. */
function pathWithoutNodeModules(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.split(/[\\/]/).includes('node_modules'))
    .join(delimiter);
}

export function buildKernel(dir: string): KernelBuild {
  const src = join(here, 'exec-kernel.c');
  const native = join(dir, 'kernel');
  const wasm = join(dir, 'kernel.wasm');
  const optimized = join(dir, 'kernel.opt.wasm');
  try {
    execFileSync('gcc', ['-O2', '-o', native, src], { stdio: 'pipe' });
  } catch (e) {
    return { skipped: `gcc failed or is missing (${firstLine(e)})` };
  }
  try {
    execFileSync('clang', ['-O2', '--target=wasm32-wasi', '-o', wasm, src], {
      stdio: 'pipe',
      env: { ...process.env, PATH: pathWithoutNodeModules() },
    });
  } catch (e) {
    return {
      skipped: `clang with wasi-libc is not available (${firstLine(e)}); install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32`,
    };
  }
  if (!existsSync(wasmOptBin))
    return { native, wasm, optimized: undefined, optimizedSkipped: 'wasm-opt not installed' };
  try {
    execFileSync(wasmOptBin, ['-O2', wasm, '-o', optimized], { stdio: 'pipe' });
    return { native, wasm, optimized };
  } catch (e) {
    return { native, wasm, optimized: undefined, optimizedSkipped: `wasm-opt failed (${firstLine(e)})` };
  }
}
