import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WASI_PREVIEW1_SIGNATURES } from '@portalis/wasi';
import * as wasmBinary from '@portalis/wasm-binary';
import { LRUCache } from 'lru-cache';
import type { Engine } from '../engines/engine.js';
import { BridgeError } from '../errors.js';
import type { ExportInfo, ImportInfo, ValidationReport } from '../validate/report.js';
import { type ValidateOptions, validateWasm, type WasmInput } from '../validate/validate.js';
import type { ComponentHandle } from './types.js';

/** Bump when an instrumentation pass changes, so that old disk entries are not reused. */
const INSTRUMENT_VERSION = 6;
const PAGE = 65536;
const WASI = 'wasi_snapshot_preview1';
const INTERNAL_EXPORTS = new Set([wasmBinary.FUEL_EXPORT, wasmBinary.GROW_FAILURES_EXPORT]);
/** The import a module's own memory becomes, for the js runner's memory pool (see runner.ts). */
const POOLED_MEMORY_IMPORT = { module: 'portalis', name: 'memory' };
/**
 * The memory pool is opt-in (`PORTALIS_JS_MEMORY_POOL=1`, read at each load): it makes runs
 * faster but leaves V8 fewer reasons to collect old instances, so the process settles at a higher
 * RSS (docs/execution.md).
 */
const memoryPoolOn = (): boolean => process.env.PORTALIS_JS_MEMORY_POOL === '1';
/**
 * Larger memories keep their own: zeroing one costs about what V8 allocating it does, and a
 * memory the runner creates from JavaScript costs more than one V8 creates for the instance.
 */
const POOLED_MEMORY_MAX_PAGES = 16;

/** What the caches keep for one (module, engine, limits) triple. */
interface Entry {
  compiled: unknown;
  kind: 'core' | 'component';
  imports: ImportInfo[];
  exports: ExportInfo[];
}

type Built = Entry & { report?: ValidationReport; validationMs?: number; source: ComponentHandle['source'] };

/**
 * The disk cache's sidecar: enough to run without re-validating. For an instrumenting engine it
 * also holds the digest of the instrumented bytes beside it, to detect damage; a native engine
 * keeps (and checks) its own compiled code.
 */
interface DiskMeta {
  version: number;
  digest: string;
  kind: 'core' | 'component';
  instrumentedSha256: string | undefined;
  imports: ImportInfo[];
  exports: ExportInfo[];
}

export interface LoadSettings {
  maxMemoryBytes: number;
  fuel: number | undefined;
  name: string | undefined;
}

export interface Loaded {
  handle: ComponentHandle;
  compiled: unknown;
  /** The validation report and its duration, when this load validated (not on a cache hit). */
  report: ValidationReport | undefined;
  validationMs: number | undefined;
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

function readInput(input: WasmInput): { bytes: Uint8Array; name: string } {
  if (typeof input !== 'string') {
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    return { bytes, name: 'module.wasm' };
  }
  try {
    if (statSync(input).isDirectory())
      throw new BridgeError('invalid-input', `${input} is a directory; give the path of a .wasm file`);
    return { bytes: new Uint8Array(readFileSync(input)), name: basename(input) };
  } catch (e) {
    if (e instanceof BridgeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new BridgeError('invalid-input', `cannot read ${input}: ${why}`, { details: { path: input } });
  }
}

/**
 * Refuses, at load, every import the sandbox will not provide: only WASI preview1 functions link,
 * and memories on engines that create them (js).
 */
function checkImports(imports: readonly ImportInfo[], name: string, engine: Engine): void {
  const missing: string[] = [];
  for (const imp of imports) {
    if (imp.kind === 'memory') {
      if (engine.limits === 'instrumented') continue;
      missing.push(`${imp.module}.${imp.name} (memory; imported memories link on the js engine only)`);
      continue;
    }
    if (imp.module === WASI && imp.kind === 'func') {
      const sig = (WASI_PREVIEW1_SIGNATURES as Record<string, { params: readonly string[]; result: string | null }>)[
        imp.name
      ];
      const want =
        sig &&
        `(func${sig.params.length ? ` (param ${sig.params.join(' ')})` : ''}${sig.result ? ` (result ${sig.result})` : ''})`;
      if (want === imp.type) continue;
      if (want) {
        missing.push(`${imp.module}.${imp.name} has type ${imp.type}, but WASI preview1 defines ${want}`);
        continue;
      }
    }
    missing.push(`${imp.module}.${imp.name} (${imp.kind})`);
  }
  if (missing.length === 0) return;
  const hint = imports.some((i) => i.module === 'wasi_unstable')
    ? ' (wasi_unstable is the pre-preview1 WASI; rebuild the module with a current toolchain)'
    : `; the sandbox provides WASI preview1 functions${engine.limits === 'instrumented' ? ' and memories' : ''} only`;
  throw new BridgeError('link', `${name} cannot be linked: it imports ${missing.join(', ')}${hint}`, {
    details: { imports: missing },
  });
}

/**
 * Validates, instruments (memory cap, grow counter, fuel meter) and compiles modules, with an
 * in-memory LRU of compiled modules and an optional disk cache of instrumented bytes, both keyed
 * by content digest + engine + limits. A cache hit neither validates nor instruments again.
 */
export class ModuleLoader {
  private readonly memory = new LRUCache<string, Entry>({ max: 128 });
  private readonly inflight = new Map<string, Promise<Built>>();

  constructor(
    private readonly engine: Engine,
    private readonly cacheDir: string | undefined,
    private readonly validation: ValidateOptions,
    private readonly warn: (message: string) => void,
    private readonly onValidated: (ms: number, valid: boolean) => void = () => {},
  ) {}

  async load(input: WasmInput, settings: LoadSettings): Promise<Loaded> {
    const started = performance.now();
    const { bytes, name: fileName } = readInput(input);
    const name = settings.name ?? fileName;
    if (!Number.isFinite(settings.maxMemoryBytes) || settings.maxMemoryBytes < 0)
      throw new BridgeError(
        'invalid-input',
        `the memory limit must be a non-negative number of bytes, got ${settings.maxMemoryBytes}`,
      );
    if (settings.fuel !== undefined && (!Number.isSafeInteger(settings.fuel) || settings.fuel <= 0))
      throw new BridgeError('invalid-input', `fuel must be a positive integer, got ${settings.fuel}`);
    const digest = sha256(bytes);
    const capPages = Math.floor(settings.maxMemoryBytes / PAGE);
    const pool = this.engine.limits === 'instrumented' && memoryPoolOn();
    const key = sha256(
      [
        INSTRUMENT_VERSION,
        this.engine.info.name,
        this.engine.info.version,
        digest,
        capPages,
        settings.fuel ?? 'unmetered',
        pool ? 'memory-pool' : 'no-pool',
      ].join('\0'),
    );
    let source: ComponentHandle['source'] = 'memory';
    let report: ValidationReport | undefined;
    let validationMs: number | undefined;
    let entry = this.memory.get(key);
    if (!entry) {
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.build(key, bytes, name, capPages, settings.fuel, pool);
        this.inflight.set(key, pending);
        pending.finally(() => this.inflight.delete(key)).catch(() => {});
      }
      const built = await pending;
      ({ report, source, validationMs } = built);
      entry = { compiled: built.compiled, kind: built.kind, imports: built.imports, exports: built.exports };
      this.memory.set(key, entry);
    }
    const handle: ComponentHandle = Object.freeze({
      id: randomUUID(),
      name,
      digest,
      engine: this.engine.info.name,
      kind: entry.kind,
      maxMemoryBytes: capPages * PAGE,
      metered: settings.fuel !== undefined,
      fuel: settings.fuel,
      imports: entry.imports,
      exports: entry.exports,
      source,
      loadTimeMs: performance.now() - started,
    });
    return { handle, compiled: entry.compiled, report, validationMs };
  }

  private build(
    key: string,
    bytes: Uint8Array,
    name: string,
    capPages: number,
    fuel: number | undefined,
    pool: boolean,
  ) {
    return this.engine.limits === 'native'
      ? this.buildNative(key, bytes, name, capPages, fuel)
      : this.buildInstrumented(key, bytes, name, capPages, fuel, pool);
  }

  /** Validates; throws `validation` with the first error when the module is not valid. */
  private async validated(bytes: Uint8Array, name: string) {
    const validating = performance.now();
    const report = await validateWasm(bytes, this.validation);
    const validationMs = performance.now() - validating;
    if (!report.isValid || !report.metadata) {
      this.onValidated(validationMs, false);
      const first = report.errors[0];
      throw new BridgeError('validation', `${name} is not valid WebAssembly: ${first?.message ?? 'unknown reason'}`, {
        details: { errors: report.errors },
      });
    }
    return { report, validationMs, meta: report.metadata };
  }

  private async buildInstrumented(
    key: string,
    bytes: Uint8Array,
    name: string,
    capPages: number,
    fuel: number | undefined,
    pool: boolean,
  ): Promise<Built> {
    const options = { metered: fuel !== undefined, cacheDir: undefined };
    const cached = this.readDisk(key, true);
    if (cached?.bytes) {
      try {
        const { compiled } = await this.engine.compile(cached.bytes, options);
        return { ...cached.meta, compiled, source: 'disk' };
      } catch {
        this.warn(`cache entry ${key} did not compile; rebuilding it`);
      }
    }
    const { report, validationMs, meta } = await this.validated(bytes, name);
    if (meta.kind !== 'core')
      throw new BridgeError(
        'invalid-input',
        `${name} is a component; the ${this.engine.info.name} engine runs core modules only (the wasmtime engine runs components as commands; validate() describes them)`,
      );
    checkImports(meta.imports, name, this.engine);
    const module = wasmBinary.decodeModule(bytes);
    try {
      wasmBinary.capMemory(module, capPages);
      // The meter goes in before the grow counter, so it charges the guest's instructions only:
      // the same units as the wasmtime engine's meter, which has no grow counter.
      if (fuel !== undefined) wasmBinary.injectFuelMeter(module, BigInt(fuel));
      wasmBinary.countGrowFailures(module);
      // Last, once the maximum is capped: the runner hands each instance a pooled, zeroed memory.
      if (pool)
        wasmBinary.importDefinedMemory(module, POOLED_MEMORY_IMPORT, { maxInitialPages: POOLED_MEMORY_MAX_PAGES });
    } catch (e) {
      if (e instanceof wasmBinary.InstrumentError) {
        if (e.code === 'memory-minimum-over-cap')
          throw new BridgeError('limit-exceeded', `${name}: ${e.message}`, { code: 'memory-limit', cause: e });
        throw new BridgeError('invalid-input', `${name} cannot run in the sandbox: ${e.message}`, { cause: e });
      }
      throw e;
    }
    const instrumented = wasmBinary.encodeModule(module);
    const { compiled } = await this.engine.compile(instrumented, options);
    const exports = meta.exports.filter((e) => !INTERNAL_EXPORTS.has(e.name));
    this.writeDisk(key, instrumented, {
      version: INSTRUMENT_VERSION,
      digest: meta.sha256,
      kind: 'core',
      instrumentedSha256: sha256(instrumented),
      imports: meta.imports,
      exports,
    });
    return { compiled, kind: 'core', imports: meta.imports, exports, report, validationMs, source: 'compile' };
  }

  /**
   * For engines that enforce limits themselves: the original bytes are compiled (the engine keeps
   * compiled code on disk), and the sidecar saves re-validating on the next load.
   */
  private async buildNative(
    key: string,
    bytes: Uint8Array,
    name: string,
    capPages: number,
    fuel: number | undefined,
  ): Promise<Built> {
    const options = { metered: fuel !== undefined, cacheDir: this.cacheDir };
    const cached = this.readDisk(key, false);
    if (cached) {
      const { compiled, source } = await this.engine.compile(bytes, options);
      if (source === 'rebuilt')
        this.warn(`compiled code for ${name} in ${this.cacheDir} was stale or damaged; rebuilt it`);
      return { ...cached.meta, compiled, source: source === 'disk' ? 'disk' : 'compile' };
    }
    const { report, validationMs, meta } = await this.validated(bytes, name);
    if (meta.kind === 'component' && !this.engine.runsComponents)
      throw new BridgeError(
        'invalid-input',
        `${name} is a component; the ${this.engine.info.name} engine runs core modules only`,
      );
    if (meta.kind === 'core') {
      checkImports(meta.imports, name, this.engine);
      for (const m of meta.memories)
        if (m.minPages * m.pageSize > capPages * PAGE)
          throw new BridgeError(
            'limit-exceeded',
            `${name}: memory ${m.index} starts at ${m.minPages} pages (${(m.minPages * m.pageSize) / 1024} KiB), over the cap of ${capPages} pages (${capPages * 64} KiB); raise the memory limit or shrink the module's initial memory`,
            { code: 'memory-limit', details: { memory: m.index, minPages: m.minPages, capPages } },
          );
    }
    const { compiled, source } = await this.engine.compile(bytes, options);
    const imports = meta.kind === 'core' ? meta.imports : [];
    const exports = meta.kind === 'core' ? meta.exports : [];
    this.writeDisk(key, undefined, {
      version: INSTRUMENT_VERSION,
      digest: meta.sha256,
      kind: meta.kind,
      instrumentedSha256: undefined,
      imports,
      exports,
    });
    return {
      compiled,
      kind: meta.kind,
      imports,
      exports,
      report,
      validationMs,
      source: source === 'disk' ? 'disk' : 'compile',
    };
  }

  private readDisk(key: string, withBytes: boolean): { bytes: Uint8Array | undefined; meta: DiskMeta } | undefined {
    if (!this.cacheDir) return undefined;
    let meta: DiskMeta;
    let bytes: Uint8Array | undefined;
    try {
      meta = JSON.parse(readFileSync(join(this.cacheDir, `${key}.json`), 'utf8')) as DiskMeta;
      if (withBytes) bytes = new Uint8Array(readFileSync(join(this.cacheDir, `${key}.wasm`)));
    } catch {
      return undefined;
    }
    if (
      meta?.version !== INSTRUMENT_VERSION ||
      (meta.kind !== 'core' && meta.kind !== 'component') ||
      !Array.isArray(meta.imports) ||
      !Array.isArray(meta.exports) ||
      (bytes !== undefined && sha256(bytes) !== meta.instrumentedSha256)
    ) {
      this.warn(`cache entry ${key} in ${this.cacheDir} is stale or damaged; rebuilding it`);
      return undefined;
    }
    return { bytes, meta };
  }

  private writeDisk(key: string, bytes: Uint8Array | undefined, meta: DiskMeta): void {
    if (!this.cacheDir) return;
    try {
      mkdirSync(this.cacheDir, { recursive: true });
      const tmp = `.${key}.${process.pid}.${randomUUID()}`;
      // The module first, then the sidecar: a reader that finds the sidecar finds whole bytes.
      if (bytes) {
        writeFileSync(join(this.cacheDir, `${tmp}.wasm`), bytes);
        renameSync(join(this.cacheDir, `${tmp}.wasm`), join(this.cacheDir, `${key}.wasm`));
      }
      writeFileSync(join(this.cacheDir, `${tmp}.json`), JSON.stringify(meta));
      renameSync(join(this.cacheDir, `${tmp}.json`), join(this.cacheDir, `${key}.json`));
    } catch (e) {
      this.warn(`could not write the module cache in ${this.cacheDir}: ${(e as Error).message}`);
    }
  }

  /** Drops every compiled module held in memory (the disk cache stays). */
  clear(): void {
    this.memory.clear();
  }
}
