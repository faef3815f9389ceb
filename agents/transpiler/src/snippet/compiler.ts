import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ValidationReport, WassetteClient } from '@portalis/wassette-bridge';
import { ArtifactCache, type CacheTier, cacheKey } from '../cache.js';
import { formatDiagnostics } from '../diagnostics.js';
import { TranspileError } from '../errors.js';
import { AssemblyScriptFrontend, type AssemblyScriptFrontendOptions } from '../frontends/assemblyscript.js';
import { compileFailed } from '../frontends/common.js';
import { TOOL_ENV } from '../frontends/index.js';
import { RustFrontend, type RustFrontendOptions } from '../frontends/rust.js';
import type { Diagnostic, FrontendDetection } from '../types.js';
import { blankCommentsAndStrings, FORBIDDEN_HINT, findForbidden, type SnippetLang } from './forbidden.js';
import { ASSEMBLYSCRIPT_MAIN, RUST_GLUE, TEMPLATES } from './templates.js';

export const SNIPPET_LANGS: readonly SnippetLang[] = ['assemblyscript', 'rust'];

/** Rust snippets are built for the bare wasm target: with WASI, std alone imports environ and fd_write. */
export const SNIPPET_RUST_TARGETS = ['wasm32-unknown-unknown'] as const;

/** The largest snippet accepted, in UTF-8 bytes. */
export const MAX_SNIPPET_BYTES = 256 * 1024;

export interface SnippetCompilerOptions {
  /** The bridge client that validates every artifact (default: a new js-engine client). */
  client?: WassetteClient;
  /** Folder for the disk tier of the cache; without it only the memory tier is used. */
  cacheDir?: string;
  /** Bytes of wasm the memory tier keeps; default 64 MiB. */
  maxMemoryBytes?: number;
  /** Where `asc` is (default: `PORTALIS_ASC`, then the installed package). */
  assemblyscript?: AssemblyScriptFrontendOptions;
  /** Which rustc to use (default: `PORTALIS_RUSTC`, then `/usr/bin/rustc`, then `rustc`). */
  rust?: RustFrontendOptions;
}

export interface SnippetResult {
  lang: SnippetLang;
  wasm: Uint8Array;
  /** The cache key: sha256 of the language, template version, toolchain version and source. */
  digest: string;
  /** Where the artifact came from: `false` for a fresh compile. */
  cached: false | CacheTier;
  /** The bridge's report on the artifact. */
  report: ValidationReport;
  warnings: Diagnostic[];
  /** The export to call with `{ kind: 'json', name: 'analyze', input }`. */
  entry: 'analyze';
  durationMs: number;
}

export interface SnippetLanguageInfo extends FrontendDetection {
  lang: SnippetLang;
  /** The signature a snippet in this language must define. */
  signature: string;
}

const REQUIRED_EXPORTS = ['memory', 'alloc', 'analyze'];

/**
 * Compiles code snippets (for example written by an LLM) into plugins for the bridge's JSON call
 * protocol: the user's `analyze(input) -> output` is dropped into a template, forbidden patterns are
 * refused before compiling, compile errors come back cleaned (lines of the snippet, no template
 * noise), and artifacts are cached in memory and on disk by the digest of what produced them.
 */
export class SnippetCompiler {
  private readonly cache: ArtifactCache;
  private readonly assemblyscript: AssemblyScriptFrontend;
  private readonly rust: RustFrontend;
  private clientInstance: WassetteClient | undefined;
  private readonly inflight = new Map<string, Promise<SnippetResult>>();

  constructor(options: SnippetCompilerOptions = {}) {
    this.clientInstance = options.client;
    this.cache = new ArtifactCache({
      ...(options.cacheDir ? { dir: options.cacheDir } : {}),
      ...(options.maxMemoryBytes ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
    });
    const asc = options.assemblyscript?.asc ?? process.env[TOOL_ENV.asc];
    const rustc = options.rust?.rustc ?? process.env[TOOL_ENV.rustc];
    this.assemblyscript = new AssemblyScriptFrontend({ ...options.assemblyscript, ...(asc ? { asc } : {}) });
    // wasm32-unknown-unknown: a pure function needs no WASI, and its std pulls in no imports.
    this.rust = new RustFrontend({ targets: SNIPPET_RUST_TARGETS, ...options.rust, ...(rustc ? { rustc } : {}) });
  }

  private get client(): WassetteClient {
    this.clientInstance ??= new WassetteClient();
    return this.clientInstance;
  }

  /** Each snippet language with its toolchain detection and required signature. */
  async languages(): Promise<SnippetLanguageInfo[]> {
    return Promise.all(
      SNIPPET_LANGS.map(async (lang) => ({
        lang,
        signature: TEMPLATES[lang].signature,
        ...(await this.frontend(lang).detect()),
      })),
    );
  }

  private frontend(lang: SnippetLang): AssemblyScriptFrontend | RustFrontend {
    return lang === 'rust' ? this.rust : this.assemblyscript;
  }

  /** Forgets the memory tier of the cache (the disk tier stays), as a new process would start. */
  clearMemoryCache(): void {
    this.cache.clearMemory();
  }

  /**
   * Compiles a snippet, or takes it from the cache. Throws `TranspileError`: `unknown-language`,
   * `bad-input` (empty, too large, no entry point), `forbidden` (with every match and its line),
   * `toolchain-missing`, `compile-failed` (cleaned diagnostics), `invalid-output`.
   */
  async compile(lang: SnippetLang, source: string, options: { signal?: AbortSignal } = {}): Promise<SnippetResult> {
    const started = performance.now();
    this.check(lang, source);
    const detection = await this.frontend(lang).detect();
    if (!detection.available)
      throw new TranspileError(
        'toolchain-missing',
        `${lang} snippets cannot be compiled here: ${detection.reason ?? 'the compiler is missing'}${detection.install ? `; install: ${detection.install}` : ''}`,
        { lang, tool: detection.tool, reason: detection.reason, install: detection.install },
      );
    const digest = cacheKey(['snippet', lang, String(TEMPLATES[lang].version), detection.version ?? '', source]);
    const hit = await this.cache.get(digest);
    if (hit) {
      const report = hit.artifact.report ?? (await this.client.validate(hit.artifact.wasm));
      if (!hit.artifact.report && report.isValid) await this.cache.set(digest, { ...hit.artifact, report });
      return {
        lang,
        wasm: hit.artifact.wasm,
        digest,
        cached: hit.tier,
        report,
        warnings: hit.artifact.warnings,
        entry: 'analyze',
        durationMs: performance.now() - started,
      };
    }
    // The same source asked for twice at once compiles once.
    let job = this.inflight.get(digest);
    if (!job) {
      job = this.build(lang, source, digest, options.signal).finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, job);
    }
    const result = await job;
    return { ...result, wasm: result.wasm.slice(), durationMs: performance.now() - started };
  }

  /** Everything that can be refused without compiling. */
  private check(lang: SnippetLang, source: string): void {
    if (!SNIPPET_LANGS.includes(lang))
      throw new TranspileError(
        'unknown-language',
        `snippets can be written in ${SNIPPET_LANGS.join(' or ')}, not "${lang}"`,
        {
          lang,
          known: SNIPPET_LANGS,
        },
      );
    const template = TEMPLATES[lang];
    if (typeof source !== 'string' || source.trim() === '')
      throw new TranspileError('bad-input', `the snippet is empty; it must define ${template.signature}`, { lang });
    const bytes = Buffer.byteLength(source, 'utf8');
    if (bytes > MAX_SNIPPET_BYTES)
      throw new TranspileError('bad-input', `the snippet is ${bytes} bytes; the limit is ${MAX_SNIPPET_BYTES}`, {
        lang,
        bytes,
      });
    const found = findForbidden(lang, source);
    if (found.length > 0) {
      const first = found[0] as (typeof found)[number];
      const others = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
      throw new TranspileError(
        'forbidden',
        `${template.snippetFile}:${first.line}:${first.column}: ${first.what} is not allowed in a snippet (${first.text})${others}; ${FORBIDDEN_HINT}`,
        { lang, matches: found },
      );
    }
    if (!template.entry.test(blankCommentsAndStrings(source, lang)))
      throw new TranspileError('bad-input', `the snippet must define the entry point ${template.signature}`, {
        lang,
        signature: template.signature,
      });
  }

  private async build(lang: SnippetLang, source: string, digest: string, signal?: AbortSignal): Promise<SnippetResult> {
    const started = performance.now();
    const workDir = await mkdtemp(join(tmpdir(), `portalis-snippet-${lang}-`));
    let compiled: { wasm: Uint8Array; warnings: Diagnostic[] };
    try {
      compiled =
        lang === 'rust'
          ? await this.buildRust(source, workDir, signal)
          : await this.buildAssemblyScript(source, workDir, signal);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    const report = await this.client.validate(compiled.wasm);
    if (!report.isValid) {
      const first = report.errors[0];
      throw new TranspileError(
        'invalid-output',
        `the ${lang} snippet compiled to invalid WebAssembly: ${first ? `${first.code}: ${first.message}` : 'no reason given'}`,
        { lang, report, errors: report.errors },
      );
    }
    const imports = report.metadata?.imports ?? [];
    if (imports.length > 0) {
      const names = imports.map((i) => `${i.module}.${i.name}`);
      throw new TranspileError(
        'forbidden',
        `the compiled snippet needs host functions (${names.join(', ')}); ${FORBIDDEN_HINT}`,
        { lang, imports: names },
      );
    }
    const exported = new Set((report.metadata?.exports ?? []).map((e) => e.name));
    const missing = REQUIRED_EXPORTS.filter((e) => !exported.has(e));
    if (missing.length > 0)
      throw new TranspileError('invalid-output', `the compiled snippet does not export ${missing.join(', ')}`, {
        lang,
        report,
        missing,
      });
    await this.cache.set(digest, { wasm: compiled.wasm, warnings: compiled.warnings, report });
    return {
      lang,
      wasm: compiled.wasm,
      digest,
      cached: false,
      report,
      warnings: compiled.warnings,
      entry: 'analyze',
      durationMs: performance.now() - started,
    };
  }

  private async buildAssemblyScript(source: string, workDir: string, signal?: AbortSignal) {
    const t = TEMPLATES.assemblyscript;
    await writeFile(join(workDir, t.snippetFile), source);
    await writeFile(join(workDir, 'main.ts'), ASSEMBLYSCRIPT_MAIN);
    try {
      return await this.assemblyscript.run('main.ts', join(workDir, 'out.wasm'), {
        cwd: workDir,
        flags: [],
        paths: { names: {}, workDir },
        displayName: t.snippetFile,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      throw cleanTemplateErrors(e, 'assemblyscript', source, (d) => d.file === 'main.ts');
    }
  }

  private async buildRust(source: string, workDir: string, signal?: AbortSignal) {
    const t = TEMPLATES.rust;
    const userLines = source.split('\n').length;
    await writeFile(join(workDir, t.snippetFile), source + RUST_GLUE);
    try {
      return await this.rust.run(t.snippetFile, join(workDir, 'out.wasm'), {
        crateType: 'cdylib',
        extra: ['-C', 'panic=abort', '-D', 'unsafe_code'],
        cwd: workDir,
        paths: { names: {}, workDir },
        displayName: t.snippetFile,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      throw cleanTemplateErrors(e, 'rust', source, (d) => d.file === t.snippetFile && (d.line ?? 0) > userLines);
    }
  }
}

/**
 * A compile error whose place is in the template means the snippet's `analyze` does not fit it:
 * say so at the snippet's `analyze`, without quoting template code the user never wrote.
 */
function cleanTemplateErrors(
  e: unknown,
  lang: SnippetLang,
  source: string,
  inTemplate: (d: Diagnostic) => boolean,
): unknown {
  if (!(e instanceof TranspileError) || e.code !== 'compile-failed') return e;
  const t = TEMPLATES[lang];
  const diags = (e.details.diagnostics as Diagnostic[] | undefined) ?? [];
  const code = blankCommentsAndStrings(source, lang);
  const at = t.entry.exec(code);
  const entryLine = at ? code.slice(0, at.index).split('\n').length : undefined;
  const seen = new Set<string>();
  const cleaned: Diagnostic[] = [];
  for (const d of diags) {
    if (!inTemplate(d)) {
      cleaned.push(d);
      continue;
    }
    if (d.severity !== 'error') continue;
    const message = `analyze does not fit the entry point \`${t.signature}\`: ${d.message}${d.detail ? ` (${d.detail})` : ''}`;
    if (seen.has(message)) continue;
    seen.add(message);
    cleaned.push({ severity: 'error', message, file: t.snippetFile, ...(entryLine ? { line: entryLine } : {}) });
  }
  const err = compileFailed(lang, { displayName: t.snippetFile }, cleaned);
  return new TranspileError(err.code, err.message, { ...err.details, lang, text: formatDiagnostics(cleaned) }, e);
}
