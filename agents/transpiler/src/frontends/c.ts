import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLineDiagnostics } from '../diagnostics.js';
import { firstLine, runTool, ToolNotFoundError } from '../tools.js';
import type { CompileOutput, CompileRequest, Frontend, FrontendDetection, Lang } from '../types.js';
import { compileFailed, readOutput, toolchainMissing, warningsOnly } from './common.js';

/** What to install on Debian or Ubuntu for `clang --target=wasm32-wasi` to compile and link. */
export const C_INSTALL = 'apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 (Debian/Ubuntu)';

export interface CFrontendOptions {
  /** The clang to run (default `clang` on PATH). */
  clang?: string;
  /** Extra flags before the source file (include paths, defines). */
  flags?: string[];
}

/** True when the source defines `main`: it is built as a WASI command, otherwise as a library (reactor). */
export function definesMain(source: string): boolean {
  return /\bint\s+main\s*\(/.test(source);
}

/**
 * C through `clang --target=wasm32-wasi` with the WASI sysroot (Debian's wasi-libc). A file with
 * `main` becomes a WASI command; one without becomes a reactor that exports its functions.
 */
export class CFrontend implements Frontend {
  readonly name = 'c';
  readonly langs: readonly Lang[] = ['c'];
  readonly extensions = ['.c'];
  private readonly clang: string;
  private readonly flags: string[];
  private detection: Promise<FrontendDetection> | undefined;

  constructor(options: CFrontendOptions = {}) {
    this.clang = options.clang ?? 'clang';
    this.flags = options.flags ?? [];
  }

  detect(): Promise<FrontendDetection> {
    this.detection ??= this.probe();
    return this.detection;
  }

  /** `clang --version`, then a tiny program compiled and linked: the sysroot and wasm-ld must be there too. */
  private async probe(): Promise<FrontendDetection> {
    const base = { tool: this.clang, install: C_INSTALL };
    let version: string;
    try {
      const r = await runTool(this.clang, ['--version'], { timeoutMs: 30_000 });
      if (r.code !== 0) return { ...base, available: false, reason: `${this.clang} --version failed` };
      version = firstLine(r.stdout);
    } catch (e) {
      return {
        ...base,
        available: false,
        reason: `${this.clang} ${e instanceof ToolNotFoundError ? e.reason : (e as Error).message}`,
      };
    }
    const dir = await mkdtemp(join(tmpdir(), 'portalis-clang-probe-'));
    try {
      const src = join(dir, 'probe.c');
      await writeFile(src, '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n');
      const r = await runTool(this.clang, ['--target=wasm32-wasi', '-O1', src, '-o', join(dir, 'probe.wasm')], {
        timeoutMs: 60_000,
      });
      if (r.code !== 0) {
        const why = firstLine(r.stderr.split(dir).join('.')) || `exit status ${r.code}`;
        return { ...base, available: false, version, reason: `clang cannot build for wasm32-wasi (${why})` };
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return { available: true, tool: this.clang, version };
  }

  async compile(request: CompileRequest): Promise<CompileOutput> {
    const d = await this.detect();
    if (!d.available) throw toolchainMissing(this.name, d.reason ?? 'clang is missing', d.install);
    const out = join(request.workDir, 'out.wasm');
    const mode = definesMain(request.source)
      ? []
      : // wasm targets hide symbols by default; a library exports every non-static function.
        ['-mexec-model=reactor', '-fvisibility=default', '-Wl,--export-dynamic'];
    const args = [
      '--target=wasm32-wasi',
      '-O2',
      '-fno-color-diagnostics',
      ...mode,
      ...this.flags,
      request.sourcePath,
      '-o',
      out,
    ];
    let r: Awaited<ReturnType<typeof runTool>>;
    try {
      r = await runTool(this.clang, args, {
        cwd: request.workDir,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (e) {
      if (e instanceof ToolNotFoundError) throw toolchainMissing(this.name, e.message, C_INSTALL);
      throw e;
    }
    const diags = parseLineDiagnostics(r.stderr, {
      names: { [request.sourcePath]: request.displayName },
      workDir: request.workDir,
    });
    if (r.code !== 0) throw compileFailed(this.name, request, diags);
    return { wasm: await readOutput(this.name, request, out), warnings: warningsOnly(diags) };
  }
}
