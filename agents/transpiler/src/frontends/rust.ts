import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PathNames, parseRustcDiagnostics } from '../diagnostics.js';
import { firstLine, runTool, ToolNotFoundError } from '../tools.js';
import type { CompileOutput, CompileRequest, Diagnostic, Frontend, FrontendDetection, Lang } from '../types.js';
import { compileFailed, readOutput, toolchainMissing, warningsOnly } from './common.js';

export const RUST_INSTALL =
  'apt-get install rustc libstd-rust-dev-wasm32 (Debian/Ubuntu; gives /usr/bin/rustc), or with rustup: rustup target add wasm32-wasip1';

/** The WASI targets, newest name first (`wasm32-wasi` was renamed `wasm32-wasip1` in Rust 1.78). */
export const RUST_WASI_TARGETS = ['wasm32-wasip1', 'wasm32-wasi'] as const;

/** Debian's rustc comes first: rustup's rustc often has no wasm target installed. */
export const DEFAULT_RUSTC_CANDIDATES = ['/usr/bin/rustc', 'rustc'];

/** A rustc that can build for a WASI target: the standard library for it is in its sysroot. */
export interface RustToolchain {
  rustc: string;
  target: string;
  version: string;
}

export interface RustFrontendOptions {
  /** The rustc to use, or several to try in order (default `/usr/bin/rustc`, then `rustc` on PATH). */
  rustc?: string | string[];
  /** Targets to look for, in order of preference (default `RUST_WASI_TARGETS`). */
  targets?: readonly string[];
}

function hasStd(sysroot: string, target: string): boolean {
  const lib = join(sysroot, 'lib', 'rustlib', target, 'lib');
  if (!existsSync(lib)) return false;
  try {
    return readdirSync(lib).some((f) => f.startsWith('libstd-') && f.endsWith('.rlib'));
  } catch {
    return false;
  }
}

/** Checks one rustc: it runs, knows a WASI target, and has that target's standard library. */
async function probeRustc(rustc: string, targets: readonly string[]): Promise<RustToolchain | string> {
  try {
    const v = await runTool(rustc, ['--version'], { timeoutMs: 30_000 });
    if (v.code !== 0) return `${rustc}: --version failed`;
    const version = firstLine(v.stdout);
    const [s, t] = await Promise.all([
      runTool(rustc, ['--print', 'sysroot'], { timeoutMs: 30_000 }),
      runTool(rustc, ['--print', 'target-list'], { timeoutMs: 30_000 }),
    ]);
    const sysroot = firstLine(s.stdout);
    const known = new Set(t.stdout.split('\n').map((l) => l.trim()));
    for (const target of targets) {
      if (known.has(target) && hasStd(sysroot, target)) return { rustc, target, version };
    }
    return `${rustc} (${version}) has no ${targets.join(' or ')} standard library in ${sysroot}`;
  } catch (e) {
    return `${rustc}: ${e instanceof ToolNotFoundError ? e.reason : (e as Error).message}`;
  }
}

/** True when the source has `fn main`: it is built as a WASI command, otherwise as a cdylib. */
export function hasMain(source: string): boolean {
  return /\bfn\s+main\s*\(/.test(source);
}

/** Rust through a rustc whose sysroot holds a WASI standard library (Debian's `/usr/bin/rustc` + libstd-rust-dev-wasm32). */
export class RustFrontend implements Frontend {
  readonly name = 'rust';
  readonly langs: readonly Lang[] = ['rust'];
  readonly extensions = ['.rs'];
  private readonly candidates: string[];
  private readonly targets: readonly string[];
  private detection: Promise<RustToolchain | { reason: string }> | undefined;

  constructor(options: RustFrontendOptions = {}) {
    const r = options.rustc;
    this.candidates = r === undefined ? DEFAULT_RUSTC_CANDIDATES : typeof r === 'string' ? [r] : r;
    this.targets = options.targets ?? RUST_WASI_TARGETS;
  }

  /** The first candidate that can build for WASI, or why none can. */
  toolchain(): Promise<RustToolchain | { reason: string }> {
    this.detection ??= (async () => {
      const reasons: string[] = [];
      for (const c of this.candidates) {
        const r = await probeRustc(c, this.targets);
        if (typeof r !== 'string') return r;
        reasons.push(r);
      }
      return { reason: reasons.join('; ') };
    })();
    return this.detection;
  }

  async detect(): Promise<FrontendDetection> {
    const t = await this.toolchain();
    if ('reason' in t)
      return { available: false, tool: this.candidates.join(' | '), install: this.install(), reason: t.reason };
    return { available: true, tool: `${t.rustc} --target ${t.target}`, version: t.version };
  }

  /** What to install for the targets this frontend looks for. */
  install(): string {
    if (this.targets === RUST_WASI_TARGETS) return RUST_INSTALL;
    return `apt-get install rustc libstd-rust-dev-wasm32 (Debian/Ubuntu; gives /usr/bin/rustc), or with rustup: rustup target add ${this.targets[0]}`;
  }

  /** Runs rustc on `file` with JSON diagnostics; shared with the snippet compiler. */
  async run(
    file: string,
    outFile: string,
    options: {
      crateType: 'bin' | 'cdylib';
      extra?: string[];
      cwd: string;
      paths: PathNames;
      displayName: string;
      signal?: AbortSignal;
    },
  ): Promise<{ wasm: Uint8Array; warnings: Diagnostic[] }> {
    const t = await this.toolchain();
    if ('reason' in t) throw toolchainMissing(this.name, t.reason, this.install());
    const args = [
      '--target',
      t.target,
      '--edition',
      '2021',
      '--crate-type',
      options.crateType,
      '-C',
      'opt-level=s',
      '-C',
      'strip=symbols',
      '--error-format=json',
      ...(options.extra ?? []),
      '-o',
      outFile,
      file,
    ];
    let r: Awaited<ReturnType<typeof runTool>>;
    try {
      r = await runTool(t.rustc, args, { cwd: options.cwd, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      if (e instanceof ToolNotFoundError) throw toolchainMissing(this.name, e.message, this.install());
      throw e;
    }
    const diags = parseRustcDiagnostics(r.stderr, options.paths);
    if (r.code !== 0) throw compileFailed(this.name, { displayName: options.displayName }, diags);
    return { wasm: await readOutput(this.name, options, outFile), warnings: warningsOnly(diags) };
  }

  async compile(request: CompileRequest): Promise<CompileOutput> {
    return this.run(request.sourcePath, join(request.workDir, 'out.wasm'), {
      crateType: hasMain(request.source) ? 'bin' : 'cdylib',
      cwd: request.workDir,
      paths: { names: { [request.sourcePath]: request.displayName }, workDir: request.workDir },
      displayName: request.displayName,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }
}
