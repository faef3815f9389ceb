import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLineDiagnostics } from '../diagnostics.js';
import { TranspileError } from '../errors.js';
import { findPackageDir, firstLine, readPackageJson, runTool, stripAnsi, ToolNotFoundError } from '../tools.js';
import type { CompileOutput, CompileRequest, Frontend, FrontendDetection, Lang } from '../types.js';
import { compileFailed, readOutput, toolchainMissing } from './common.js';

const COMPONENTIZE = '@bytecodealliance/componentize-js';
const SHIM = '@bytecodealliance/preview2-shim';
const CHILD = fileURLToPath(new URL('../../runtime/componentize.mjs', import.meta.url));
export const JS_INSTALL = `npm install ${COMPONENTIZE} ${SHIM}`;
export const TS_INSTALL = 'npm install typescript';

/** The world a JavaScript module is built for when no WIT sits beside it: one JSON-text function. */
export const DEFAULT_WIT = `package portalis:convert;

world plugin {
  export analyze: func(input: string) -> string;
}
`;

/** componentize-js features left out: no HTTP client or server, so the component asks for less. */
const DISABLED_FEATURES = ['http', 'fetch-event'];

/**
 * The preview2-shim componentize-js will load: its own dependency when npm put one where Node
 * finds it, otherwise a copy nested under another @bytecodealliance package (jco installs one).
 */
export function findPreview2Shim(componentizeDir: string): string | undefined {
  const direct = findPackageDir(SHIM, componentizeDir);
  if (direct) return direct;
  let dir = componentizeDir;
  for (;;) {
    const scope = join(dir, 'node_modules', '@bytecodealliance');
    if (existsSync(scope)) {
      const owners = readdirSync(scope).sort((a, b) => (a === 'jco' ? -1 : b === 'jco' ? 1 : a.localeCompare(b)));
      for (const owner of owners) {
        const nested = join(scope, owner, 'node_modules', SHIM);
        if (existsSync(join(nested, 'package.json'))) return nested;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface JavaScriptFrontendOptions {
  /** Folder of the componentize-js package (default: the installed one). */
  componentizeDir?: string;
  /** Folder of the TypeScript package whose `tsc` strips types (default: the installed one). */
  typescriptDir?: string;
  /** Milliseconds a componentize run may take (default 5 minutes: it snapshots a whole JS engine). */
  timeoutMs?: number;
}

interface Componentizer {
  entry: string;
  shimDir: string;
}

/**
 * JavaScript and TypeScript to a WebAssembly component with componentize-js (StarlingMonkey).
 * TypeScript is first stripped to JavaScript by `tsc --noCheck` (TypeScript 7 has no JS compiler
 * API, and Node 20 has no built-in type stripping). componentize-js runs in a child process.
 */
export class JavaScriptFrontend implements Frontend {
  readonly name = 'javascript';
  readonly langs: readonly Lang[] = ['javascript', 'typescript'];
  readonly extensions = ['.js', '.mjs', '.ts', '.mts'];
  private readonly options: JavaScriptFrontendOptions;
  private detection: Promise<{ info: FrontendDetection; tool?: Componentizer }> | undefined;

  constructor(options: JavaScriptFrontendOptions = {}) {
    this.options = options;
  }

  detect(): Promise<FrontendDetection> {
    return this.probe().then((p) => p.info);
  }

  private probe(): Promise<{ info: FrontendDetection; tool?: Componentizer }> {
    this.detection ??= this.find();
    return this.detection;
  }

  private async find(): Promise<{ info: FrontendDetection; tool?: Componentizer }> {
    const dir = this.options.componentizeDir ?? findPackageDir(COMPONENTIZE);
    const pkg = dir ? readPackageJson(dir) : undefined;
    const base = { tool: COMPONENTIZE, install: JS_INSTALL };
    if (!dir || !pkg) return { info: { ...base, available: false, reason: `${COMPONENTIZE} is not installed` } };
    const version = pkg.version;
    const entry = join(dir, 'src', 'componentize.js');
    if (!existsSync(entry))
      return { info: { ...base, available: false, ...(version ? { version } : {}), reason: `${entry} is missing` } };
    const shimDir = findPreview2Shim(dir);
    if (!shimDir)
      return {
        info: {
          ...base,
          available: false,
          ...(version ? { version } : {}),
          reason: `${SHIM} (needed by ${COMPONENTIZE} at run time) is not installed`,
        },
      };
    const tool = { entry, shimDir };
    const r = await this.child({ probe: true }, tool, 60_000).catch((e: Error) => ({
      code: 1,
      stderr: e.message,
      stdout: '',
      timedOut: false,
    }));
    if (r.code !== 0)
      return {
        info: {
          ...base,
          available: false,
          ...(version ? { version } : {}),
          reason: `${COMPONENTIZE} does not load: ${firstLine(stripAnsi(r.stderr)) || `exit status ${r.code}`}`,
        },
      };
    const shimVersion = readPackageJson(shimDir)?.version;
    return {
      info: {
        available: true,
        tool: COMPONENTIZE,
        ...(version ? { version: `${version}, preview2-shim ${shimVersion ?? '?'}` } : {}),
      },
      tool,
    };
  }

  private child(job: Record<string, unknown>, tool: Componentizer, timeoutMs: number, signal?: AbortSignal) {
    return runTool(
      process.execPath,
      [CHILD, JSON.stringify({ ...job, componentize: tool.entry, shimDir: tool.shimDir })],
      {
        timeoutMs,
        ...(signal ? { signal } : {}),
      },
    );
  }

  /** The `tsc` of the installed TypeScript, or why there is none. */
  typescript(): { tsc: string; version?: string } | { reason: string } {
    const dir = this.options.typescriptDir ?? findPackageDir('typescript');
    const pkg = dir ? readPackageJson(dir) : undefined;
    const rel = typeof pkg?.bin === 'string' ? pkg.bin : pkg?.bin?.tsc;
    if (!dir || !rel) return { reason: 'typescript is not installed' };
    const tsc = join(dir, rel);
    if (!existsSync(tsc)) return { reason: `${tsc} does not exist` };
    return { tsc, ...(pkg?.version ? { version: pkg.version } : {}) };
  }

  /** TypeScript to JavaScript, types stripped without checking (imports of `.ts` files become `.js`). */
  private async stripTypes(request: CompileRequest): Promise<string> {
    const ts = this.typescript();
    if ('reason' in ts) throw toolchainMissing(this.name, `TypeScript sources need tsc: ${ts.reason}`, TS_INSTALL);
    const outDir = join(request.workDir, 'js');
    const cwd = dirname(request.sourcePath);
    const file = basename(request.sourcePath);
    const args = [
      ts.tsc,
      '--outDir',
      outDir,
      '--rootDir',
      cwd,
      '--target',
      'es2022',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--noCheck',
      '--skipLibCheck',
      '--types',
      '',
      '--rewriteRelativeImportExtensions',
      '--allowImportingTsExtensions',
      '--declaration',
      'false',
      '--sourceMap',
      'false',
      '--pretty',
      'false',
      file,
    ];
    let r: Awaited<ReturnType<typeof runTool>>;
    try {
      r = await runTool(process.execPath, args, { cwd, ...(request.signal ? { signal: request.signal } : {}) });
    } catch (e) {
      if (e instanceof ToolNotFoundError) throw toolchainMissing(this.name, e.message, TS_INSTALL);
      throw e;
    }
    if (r.code !== 0)
      throw compileFailed(
        this.name,
        request,
        parseLineDiagnostics(`${r.stdout}\n${r.stderr}`, {
          names: { [request.sourcePath]: request.displayName, [file]: request.displayName },
        }),
      );
    const js = join(outDir, `${basename(file, extname(file))}${extname(file) === '.mts' ? '.mjs' : '.js'}`);
    if (!existsSync(js))
      throw compileFailed(this.name, request, [
        { severity: 'error', message: 'tsc wrote no JavaScript for this file' },
      ]);
    return js;
  }

  /** The WIT to build against: the request's, NAME.wit or wit/ beside the source, or the default plugin world. */
  private async witFor(request: CompileRequest): Promise<string> {
    if (request.wit) {
      if (!existsSync(request.wit))
        throw new TranspileError('bad-input', `WIT path ${request.wit} does not exist`, { wit: request.wit });
      return request.wit;
    }
    const dir = dirname(request.sourcePath);
    const stem = basename(request.sourcePath, extname(request.sourcePath));
    for (const candidate of [join(dir, `${stem}.wit`), join(dir, 'wit')]) {
      if (existsSync(candidate) && (candidate.endsWith('.wit') || statSync(candidate).isDirectory())) return candidate;
    }
    const file = join(request.workDir, 'world.wit');
    await writeFile(file, DEFAULT_WIT);
    return file;
  }

  async compile(request: CompileRequest): Promise<CompileOutput> {
    const { info, tool } = await this.probe();
    if (!tool) throw toolchainMissing(this.name, info.reason ?? 'componentize-js is missing', info.install);
    const source = request.lang === 'typescript' ? await this.stripTypes(request) : request.sourcePath;
    const wit = await this.witFor(request);
    const out = join(request.workDir, 'out.wasm');
    await mkdir(request.workDir, { recursive: true });
    const witDir = statSync(wit).isDirectory() ? wit : dirname(wit);
    const r = await this.child(
      {
        source,
        wit,
        ...(request.world ? { world: request.world } : {}),
        out,
        preopens: [witDir],
        disableFeatures: DISABLED_FEATURES,
      },
      tool,
      this.options.timeoutMs ?? 300_000,
      request.signal,
    );
    if (r.code !== 0) {
      const text = stripAnsi(r.timedOut ? 'componentize-js timed out' : r.stderr).trim() || `exit status ${r.code}`;
      const lines = text
        .split(source)
        .join(request.displayName)
        .split(`${request.workDir}/`)
        .join('')
        // componentize-js names the module by the copy it makes.
        .replace(/"source\.js"/g, `"${basename(request.displayName)}"`)
        .split('\n');
      // Its most specific line is the last `Error:` one ("... does not export a "analyze" function").
      const specific = lines.map((l) => l.replace(/^Error:\s*/, '')).filter((_, i) => /^Error:/.test(lines[i] ?? ''));
      const message = specific[specific.length - 1] ?? (lines[0] as string);
      const rest = lines
        .filter((l) => l.replace(/^Error:\s*/, '') !== message)
        .join('\n')
        .trim();
      throw compileFailed(this.name, request, [
        { severity: 'error', file: request.displayName, message, ...(rest ? { excerpt: rest } : {}) },
      ]);
    }
    return { wasm: await readOutput(this.name, request, out), warnings: [] };
  }
}
