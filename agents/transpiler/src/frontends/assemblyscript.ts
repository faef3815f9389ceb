import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type PathNames, parseAscDiagnostics } from '../diagnostics.js';
import { findPackageDir, firstLine, readPackageJson, runTool, ToolNotFoundError } from '../tools.js';
import type { CompileOutput, CompileRequest, Diagnostic, Frontend, FrontendDetection, Lang } from '../types.js';
import { compileFailed, readOutput, toolchainMissing, warningsOnly } from './common.js';

const INSTALL = 'npm install assemblyscript';

/**
 * The flags every AssemblyScript build gets: optimized, the minimal runtime (each execution is a
 * fresh instance, so nothing needs freeing), and `abort` compiled to a trap instead of an `env.abort`
 * import the sandbox does not provide.
 */
export const ASC_FLAGS = ['--optimize', '--runtime', 'stub', '--use', 'abort=', '--noColors'];

/** Extra flags a source asks for on its first line, as the repository's fixtures do: `// asc: --noAssert`. */
export function ascFlagsOf(source: string): string[] {
  const m = /^\/\/\s*asc:\s*(.*)$/.exec(source.split('\n', 1)[0] ?? '');
  return m?.[1] ? m[1].split(/\s+/).filter(Boolean) : [];
}

export interface AssemblyScriptFrontendOptions {
  /** The `asc` command (a script run with Node, or an executable); default: the installed assemblyscript package's. */
  asc?: string;
}

interface AscTool {
  command: string;
  prefix: string[];
  version: string | undefined;
}

/** AssemblyScript through `asc` from the `assemblyscript` npm package. */
export class AssemblyScriptFrontend implements Frontend {
  readonly name = 'assemblyscript';
  readonly langs: readonly Lang[] = ['assemblyscript'];
  readonly extensions = ['.as.ts', '.ts'];
  private readonly ascOption: string | undefined;
  private detection: Promise<{ info: FrontendDetection; tool?: AscTool }> | undefined;

  constructor(options: AssemblyScriptFrontendOptions = {}) {
    this.ascOption = options.asc;
  }

  detect(): Promise<FrontendDetection> {
    return this.probe().then((p) => p.info);
  }

  /** The `asc` command line prefix and version, once per frontend. */
  private probe(): Promise<{ info: FrontendDetection; tool?: AscTool }> {
    this.detection ??= this.find();
    return this.detection;
  }

  private async find(): Promise<{ info: FrontendDetection; tool?: AscTool }> {
    let script = this.ascOption;
    let version: string | undefined;
    if (!script) {
      const dir = findPackageDir('assemblyscript');
      const bin = dir ? readPackageJson(dir)?.bin : undefined;
      const rel = typeof bin === 'string' ? bin : bin?.asc;
      if (!dir || !rel)
        return { info: { available: false, tool: 'asc', install: INSTALL, reason: 'assemblyscript is not installed' } };
      script = join(dir, rel);
      version = readPackageJson(dir)?.version;
    }
    if (!existsSync(script))
      return { info: { available: false, tool: script, install: INSTALL, reason: `${script} does not exist` } };
    const tool: AscTool = /\.[cm]?js$/.test(script)
      ? { command: process.execPath, prefix: [script], version }
      : { command: script, prefix: [], version };
    if (!version) {
      try {
        const r = await runTool(tool.command, [...tool.prefix, '--version'], { timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(firstLine(r.stderr) || `exit status ${r.code}`);
        tool.version = firstLine(r.stdout).replace(/^Version\s+/i, '');
      } catch (e) {
        return {
          info: {
            available: false,
            tool: script,
            install: INSTALL,
            reason: `${script} --version failed: ${(e as Error).message}`,
          },
        };
      }
    }
    return {
      info: { available: true, tool: script, ...(tool.version ? { version: tool.version } : {}) },
      tool,
    };
  }

  /**
   * Compiles `entry` (inside `cwd`) to `outFile`. Shared with the snippet compiler, which builds a
   * template entry file beside the user's code.
   */
  async run(
    entry: string,
    outFile: string,
    options: { cwd: string; flags: string[]; paths: PathNames; displayName: string; signal?: AbortSignal },
  ): Promise<{ wasm: Uint8Array; warnings: Diagnostic[] }> {
    const { info, tool } = await this.probe();
    if (!tool) throw toolchainMissing(this.name, info.reason ?? 'asc is missing', info.install);
    let r: Awaited<ReturnType<typeof runTool>>;
    try {
      r = await runTool(tool.command, [...tool.prefix, entry, '--outFile', outFile, ...ASC_FLAGS, ...options.flags], {
        cwd: options.cwd,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      if (e instanceof ToolNotFoundError) throw toolchainMissing(this.name, e.message, INSTALL);
      throw e;
    }
    const diags = parseAscDiagnostics(`${r.stderr}\n${r.stdout}`, options.paths);
    if (r.code !== 0 || r.timedOut) {
      const errors = r.timedOut ? [{ severity: 'error' as const, message: 'asc timed out' }] : diags;
      throw compileFailed(this.name, { displayName: options.displayName }, errors);
    }
    return { wasm: await readOutput(this.name, options, outFile), warnings: warningsOnly(diags) };
  }

  async compile(request: CompileRequest): Promise<CompileOutput> {
    const out = join(request.workDir, 'out.wasm');
    const file = basename(request.sourcePath);
    return this.run(file, out, {
      cwd: dirname(request.sourcePath),
      flags: ascFlagsOf(request.source),
      paths: {
        names: { [request.sourcePath]: request.displayName, [file]: request.displayName },
        workDir: request.workDir,
      },
      displayName: request.displayName,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }
}
