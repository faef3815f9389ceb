import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { type ValidationReport, WassetteClient } from '@portalis/wassette-bridge';
import { ArtifactCache, cacheKey } from './cache.js';
import { TranspileError } from './errors.js';
import { defaultFrontends, type FrontendTools, KNOWN_EXTENSIONS, languageOf } from './frontends/index.js';
import {
  type CompileRequest,
  type Diagnostic,
  type Frontend,
  type FrontendDetection,
  type FrontendInfo,
  LANGS,
  type Lang,
  type TranspileOptions,
  type TranspileResult,
} from './types.js';

export interface TranspilerAgentOptions {
  /** The bridge client that validates every output (default: a new js-engine client). */
  client?: WassetteClient;
  /** Folder for the disk tier of the artifact cache; without it, outputs are cached in memory only. */
  cacheDir?: string;
  /** The frontends to use, in order of preference (default: `defaultFrontends(tools)`). */
  frontends?: Frontend[];
  /** Where the default frontends find their tools (ignored when `frontends` is given). */
  tools?: FrontendTools;
}

/** Files beside a source that can change what it compiles to (includes, imports, WIT). */
const DEPENDENCY_EXTENSIONS = new Set([
  '.wat',
  '.wast',
  '.ts',
  '.as',
  '.c',
  '.h',
  '.rs',
  '.js',
  '.mjs',
  '.mts',
  '.wit',
  '.json',
]);
const MAX_DEPENDENCY_BYTES = 1024 * 1024;
const MAX_DEPENDENCIES = 200;

/** The contents of the source's neighbours (and a `wit/` folder), in name order, for the cache key. */
function neighbourParts(sourcePath: string): string[] {
  const parts: string[] = [];
  const dir = dirname(sourcePath);
  const visit = (folder: string, prefix: string) => {
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (parts.length >= MAX_DEPENDENCIES * 2) return;
      const p = join(folder, name);
      if (p === sourcePath || !DEPENDENCY_EXTENSIONS.has(extname(name))) continue;
      try {
        const s = statSync(p);
        if (!s.isFile() || s.size > MAX_DEPENDENCY_BYTES) continue;
        parts.push(prefix + name, readFileSync(p, 'latin1'));
      } catch {
        // A neighbour that vanished or cannot be read does not change the key.
      }
    }
  };
  visit(dir, '');
  if (existsSync(join(dir, 'wit'))) visit(join(dir, 'wit'), 'wit/');
  return parts;
}

/**
 * Turns source files into WebAssembly through pluggable frontends, validates every output through
 * the bridge, and caches artifacts by the digest of the source, its neighbours and the toolchain.
 */
export class TranspilerAgent {
  private readonly frontendList: Frontend[];
  private readonly cache: ArtifactCache;
  private clientInstance: WassetteClient | undefined;
  private infos: Promise<FrontendInfo[]> | undefined;

  constructor(options: TranspilerAgentOptions = {}) {
    this.clientInstance = options.client;
    this.frontendList = options.frontends ?? defaultFrontends(options.tools);
    this.cache = new ArtifactCache(options.cacheDir ? { dir: options.cacheDir } : {});
  }

  private get client(): WassetteClient {
    this.clientInstance ??= new WassetteClient();
    return this.clientInstance;
  }

  /** Every frontend with what its detection found (run once per agent; each frontend detects in parallel). */
  frontends(): Promise<FrontendInfo[]> {
    this.infos ??= Promise.all(
      this.frontendList.map(async (f) => {
        const d = await f.detect().catch(
          (e: Error): FrontendDetection => ({
            available: false,
            tool: f.name,
            reason: `detection failed: ${e.message}`,
          }),
        );
        return { name: f.name, langs: [...f.langs], extensions: [...f.extensions], ...d };
      }),
    );
    return this.infos;
  }

  /** The frontend that compiles `lang`, or undefined. */
  frontendFor(lang: Lang): Frontend | undefined {
    return this.frontendList.find((f) => f.langs.includes(lang));
  }

  /** The language `transpile` would pick for this file (see `languageOf`), or undefined. */
  async languageOf(sourcePath: string): Promise<Lang | undefined> {
    const source = await readFile(sourcePath, 'utf8').catch(() => undefined);
    return languageOf(sourcePath, source);
  }

  /**
   * Compiles one source file to wasm and validates it through the bridge. Throws `TranspileError`:
   * `bad-input` (unreadable source), `unknown-language`, `toolchain-missing`, `compile-failed`
   * (with cleaned diagnostics), `invalid-output` (with the report; nothing is written).
   */
  async transpile(sourcePath: string, options: TranspileOptions = {}): Promise<TranspileResult> {
    const started = performance.now();
    const abs = resolve(sourcePath);
    const source = await this.readSource(sourcePath, abs);
    const lang = this.pickLanguage(sourcePath, source, options.lang);
    const frontend = this.frontendFor(lang);
    if (!frontend)
      throw new TranspileError('unknown-language', `no frontend compiles ${lang} in this transpiler`, {
        lang,
        frontends: this.frontendList.map((f) => f.name),
      });
    const detection = await frontend.detect();
    if (!detection.available)
      throw new TranspileError(
        'toolchain-missing',
        `cannot compile ${sourcePath}: the ${frontend.name} frontend is not available (${detection.reason ?? 'its tool is missing'})${detection.install ? `; install: ${detection.install}` : ''}`,
        { frontend: frontend.name, lang, tool: detection.tool, reason: detection.reason, install: detection.install },
      );

    const wit = options.wit ? await readFile(options.wit, 'latin1').catch(() => '') : '';
    const key = cacheKey([
      'transpile/1',
      frontend.name,
      detection.version ?? '',
      detection.tool,
      lang,
      options.world ?? '',
      options.wit ?? '',
      wit,
      source,
      ...neighbourParts(abs),
    ]);
    const hit = await this.cache.get(key);
    let wasm: Uint8Array;
    let warnings: Diagnostic[];
    let report: ValidationReport;
    if (hit) {
      wasm = hit.artifact.wasm;
      warnings = hit.artifact.warnings;
      report = hit.artifact.report ?? (await this.client.validate(wasm));
    } else {
      ({ wasm, warnings } = await this.compile(frontend, {
        sourcePath: abs,
        source,
        lang,
        displayName: sourcePath,
        options,
      }));
      report = await this.client.validate(wasm);
      if (report.isValid) await this.cache.set(key, { wasm, warnings, report });
    }
    report = { ...report, source: options.outFile ?? report.source };
    const validate = options.validate ?? true;
    if (validate && !report.isValid) {
      const first = report.errors[0];
      throw new TranspileError(
        'invalid-output',
        `the ${frontend.name} frontend produced invalid WebAssembly from ${sourcePath}: ${first ? `${first.code}: ${first.message}` : 'no reason given'}`,
        { frontend: frontend.name, lang, report, errors: report.errors },
      );
    }
    if (options.outFile) {
      await mkdir(dirname(resolve(options.outFile)), { recursive: true });
      await writeFile(options.outFile, wasm);
    }
    return {
      source: sourcePath,
      lang,
      frontend: frontend.name,
      wasm,
      ...(options.outFile ? { outFile: options.outFile } : {}),
      report,
      warnings,
      durationMs: performance.now() - started,
      cached: hit !== undefined,
    };
  }

  private async readSource(sourcePath: string, abs: string): Promise<string> {
    const s = await stat(abs).catch(() => undefined);
    if (!s) throw new TranspileError('bad-input', `cannot read ${sourcePath}: no such file`, { source: sourcePath });
    if (!s.isFile())
      throw new TranspileError('bad-input', `cannot read ${sourcePath}: not a file`, { source: sourcePath });
    try {
      return await readFile(abs, 'utf8');
    } catch (e) {
      throw new TranspileError(
        'bad-input',
        `cannot read ${sourcePath}: ${(e as Error).message}`,
        { source: sourcePath },
        e,
      );
    }
  }

  private pickLanguage(sourcePath: string, source: string, requested: Lang | undefined): Lang {
    if (requested !== undefined) {
      if (!LANGS.includes(requested))
        throw new TranspileError('unknown-language', `unknown language "${requested}"; known: ${LANGS.join(', ')}`, {
          lang: requested,
          known: LANGS,
        });
      return requested;
    }
    const lang = languageOf(sourcePath, source);
    if (!lang) {
      const ext = extname(sourcePath);
      throw new TranspileError(
        'unknown-language',
        `cannot tell the language of ${sourcePath} from its extension${ext ? ` (${ext})` : ' (it has none)'}; known extensions: ${KNOWN_EXTENSIONS.join(' ')}; or name the language (${LANGS.join(', ')})`,
        { source: sourcePath, extension: ext, known: KNOWN_EXTENSIONS },
      );
    }
    return lang;
  }

  private async compile(
    frontend: Frontend,
    job: { sourcePath: string; source: string; lang: Lang; displayName: string; options: TranspileOptions },
  ): Promise<{ wasm: Uint8Array; warnings: Diagnostic[] }> {
    const workDir = await mkdtemp(join(tmpdir(), `portalis-${frontend.name}-`));
    try {
      const request: CompileRequest = {
        sourcePath: job.sourcePath,
        source: job.source,
        lang: job.lang,
        workDir,
        displayName: job.displayName,
        ...(job.options.wit ? { wit: resolve(job.options.wit) } : {}),
        ...(job.options.world ? { world: job.options.world } : {}),
        ...(job.options.signal ? { signal: job.options.signal } : {}),
      };
      return await frontend.compile(request);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
}
