import { readFile, stat } from 'node:fs/promises';
import type { ComponentInspection, Feature, ModuleInspection } from '@portalis/wasm-binary';
import {
  inspectComponent,
  inspectModule,
  readPreamble,
  UNSUPPORTED_BY_NODE20_V8,
  WasmDecodeError,
} from '@portalis/wasm-binary';
import { misalignedAtomic } from './atomics.js';
import { coreCapabilities, WASI_PREVIEW1_MODULES } from './capabilities.js';
import { componentMetadata, componentWit } from './component.js';
import { coreMetadata } from './metadata.js';
import type { ModuleMetadata, ValidationError, ValidationReport, ValidationWarning } from './report.js';

export interface ValidateOptions {
  /** Warn when the binary is larger than this many bytes. */
  sizeBudgetBytes?: number;
  /** Refuse inputs larger than this without reading them. Default 256 MiB. */
  maxBytes?: number;
  /** Import modules besides WASI that imports may name without a warning (for example `env`). */
  allowedHostModules?: readonly string[];
  /** Warn when `.debug_*` custom sections add up to more than this. Default 1 MiB. */
  debugSectionWarnBytes?: number;
}

export type WasmInput = Uint8Array | ArrayBuffer | string;

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_DEBUG_WARN_BYTES = 1024 * 1024;
const ENGINE_NAME = `V8 ${process.versions.v8} (Node ${process.versions.node})`;

/** Web APIs type their inputs as ArrayBuffer-backed; ours may sit on any buffer, which they accept too. */
function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n} bytes`;
}

class Report {
  readonly errors: ValidationError[] = [];
  readonly warnings: ValidationWarning[] = [];
  metadata: ModuleMetadata | undefined;
  constructor(
    readonly source: string | undefined,
    readonly started: number,
  ) {}
  error(e: ValidationError): this {
    this.errors.push(e);
    return this;
  }
  warn(w: ValidationWarning): void {
    this.warnings.push(w);
  }
  finish(): ValidationReport {
    return {
      source: this.source,
      isValid: this.errors.length === 0,
      errors: this.errors,
      warnings: this.warnings,
      metadata: this.metadata,
      durationMs: performance.now() - this.started,
    };
  }
}

/** Reads a path the way a user needs it reported: missing, a directory, too large, unreadable. */
async function readInput(path: string, maxBytes: number, report: Report): Promise<Uint8Array | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      report.error({ code: 'not-found', message: `no such file: ${path}; check the path` });
    } else report.error({ code: 'read-failed', message: `cannot read ${path}: ${(e as Error).message}` });
    return undefined;
  }
  if (!info.isFile()) {
    report.error({
      code: 'not-a-file',
      message: `${path} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}; pass a .wasm file`,
    });
    return undefined;
  }
  if (info.size > maxBytes) {
    report.error({
      code: 'too-large',
      message: `${path} is ${mib(info.size)}, over the ${mib(maxBytes)} limit; raise maxBytes to accept it`,
    });
    return undefined;
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    report.error({ code: 'read-failed', message: `cannot read ${path}: ${(e as Error).message}` });
    return undefined;
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // WebCrypto hashes on the thread pool, so this overlaps with the synchronous inspection.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', source(bytes)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** V8's reason for rejecting a module, and its byte offset when it names one (`@+123`). */
function engineRejection(bytes: Uint8Array): { message: string; offset: number | undefined } {
  try {
    new WebAssembly.Module(source(bytes));
    return { message: 'the engine rejected the module', offset: undefined };
  } catch (e) {
    const raw = (e as Error).message.replace(/^WebAssembly\.Module\(\): /, '');
    const at = /@\+(\d+)\s*$/.exec(raw);
    return { message: raw.replace(/\s*@\+\d+\s*$/, ''), offset: at ? Number(at[1]) : undefined };
  }
}

function isTruncation(e: WasmDecodeError, size: number): boolean {
  return e.endOfInput || e.offset >= size;
}

function decodeFailure(e: WasmDecodeError, size: number): ValidationError {
  const truncated = isTruncation(e, size);
  return {
    code: truncated ? 'truncated' : 'malformed',
    message: truncated
      ? `the binary ends early: ${e.message}; the file may be cut short, rebuild or re-download it`
      : `malformed binary: ${e.message}`,
    offset: e.offset,
  };
}

function unsupportedFeatures(features: Iterable<Feature>): Feature[] {
  return [...features].filter((f) => UNSUPPORTED_BY_NODE20_V8.has(f)).sort();
}

function unsupportedError(features: Feature[], where = ''): ValidationError {
  return {
    code: 'unsupported-feature',
    message: `well-formed per the WebAssembly binary format${where}, but it uses ${features.join(', ')}, which this engine (${ENGINE_NAME}) cannot validate or run; use an engine that supports ${features.length > 1 ? 'these proposals' : 'this proposal'}`,
  };
}

function coreWarnings(m: ModuleInspection, meta: ModuleMetadata, report: Report, options: ValidateOptions): void {
  meta.memories.forEach((mem) => {
    if (mem.maxPages === undefined && !mem.imported) {
      report.warn({
        code: 'memory-unbounded',
        message: `memory ${mem.index} has no maximum; the guest can grow it until the host's limit stops it`,
      });
    }
  });
  const allowed = new Set(options.allowedHostModules ?? []);
  const unknown = new Set<string>();
  for (const i of m.imports) if (!WASI_PREVIEW1_MODULES.has(i.module) && !allowed.has(i.module)) unknown.add(i.module);
  for (const mod of unknown) {
    const names = m.imports.filter((i) => i.module === mod).map((i) => i.name);
    report.warn({
      code: 'unknown-import',
      message: `imports from "${mod}" (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}), which is neither WASI nor a declared host module; the host must provide them`,
    });
  }
  if (coreCapabilities(m.imports).legacyWasi) {
    report.warn({
      code: 'legacy-wasi',
      message: 'imports the pre-release "wasi_unstable" module; rebuild against wasi_snapshot_preview1',
    });
  }
  if (m.exports.length === 0)
    report.warn({ code: 'no-exports', message: 'the module exports nothing, so there is nothing to call' });
  const debugBytes = m.customSections.filter((c) => c.name.startsWith('.debug_')).reduce((n, c) => n + c.size, 0);
  const debugLimit = options.debugSectionWarnBytes ?? DEFAULT_DEBUG_WARN_BYTES;
  if (debugBytes > debugLimit) {
    report.warn({
      code: 'debug-sections',
      message: `${mib(debugBytes)} of DWARF debug sections; strip them for release (wasm-opt --strip-debug)`,
    });
  }
  for (const p of m.customSectionProblems) {
    report.warn({
      code: 'custom-section-malformed',
      message: `the "${p.name}" custom section does not decode (${p.message}); it was ignored`,
      offset: p.offset,
    });
  }
}

async function validateCore(
  bytes: Uint8Array,
  sha256: string,
  report: Report,
  options: ValidateOptions,
  engineValid = WebAssembly.validate(source(bytes)),
): Promise<void> {
  let inspection: ModuleInspection | undefined;
  let decodeError: WasmDecodeError | undefined;
  try {
    // Once V8 has accepted the bytes, function bodies need no second validity check: only their
    // features and instruction count. Rejected modules get the checking walk and its offsets.
    inspection = inspectModule(bytes, { engineValidated: engineValid });
  } catch (e) {
    if (!(e instanceof WasmDecodeError)) throw e;
    decodeError = e;
  }
  if (inspection) {
    report.metadata = coreMetadata(inspection, bytes.length, sha256);
    coreWarnings(inspection, report.metadata, report, options);
  }
  if (engineValid) {
    const atomic = inspection?.features.has('threads') ? misalignedAtomic(bytes) : undefined;
    if (atomic) report.error({ code: 'invalid', message: `invalid module: ${atomic}` });
    if (decodeError) {
      report.warn({
        code: 'decoder-gap',
        message: `the engine accepts this module but Portalis's decoder stopped ${decodeError.message}; metadata is missing; please report it`,
        offset: decodeError.offset,
      });
    }
    return;
  }
  if (decodeError) {
    report.error(decodeFailure(decodeError, bytes.length));
    return;
  }
  const unsupported = unsupportedFeatures(inspection?.features ?? []);
  if (unsupported.length > 0) {
    report.error(unsupportedError(unsupported));
    return;
  }
  const { message, offset } = engineRejection(bytes);
  report.error({ code: 'invalid', message: `invalid module: ${message}`, ...(offset === undefined ? {} : { offset }) });
}

async function validateComponent(bytes: Uint8Array, sha256: string, report: Report): Promise<void> {
  let c: ComponentInspection;
  try {
    c = inspectComponent(bytes);
  } catch (e) {
    if (!(e instanceof WasmDecodeError)) throw e;
    report.error(decodeFailure(e, bytes.length));
    return;
  }
  const features = new Set<Feature>();
  const checkModules = async (comp: ComponentInspection): Promise<void> => {
    for (const nested of comp.coreModules) {
      const sub = new Report(undefined, 0);
      await validateCore(nested.bytes, '', sub, {});
      for (const f of sub.metadata?.features ?? []) features.add(f);
      for (const e of sub.errors) {
        report.error({
          ...e,
          message: `nested core module at byte ${nested.offset}: ${e.message}`,
          offset: nested.offset + (e.offset ?? 0),
        });
      }
    }
    for (const child of comp.components) await checkModules(child);
  };
  await checkModules(c);
  let wit: string | undefined;
  try {
    wit = await componentWit(bytes);
  } catch (e) {
    report.error({
      code: 'invalid',
      message: `invalid component: its types do not decode (${String((e as Error)?.message ?? e).split('\n')[0]})`,
    });
  }
  report.metadata = componentMetadata(c, bytes.length, sha256, wit, features);
  if (c.exports.length === 0)
    report.warn({ code: 'no-exports', message: 'the component exports nothing, so there is nothing to call' });
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  return input instanceof Uint8Array ? input : new Uint8Array(input);
}

/**
 * Validates a core module or component and describes it. Never throws on bad input: every
 * problem is an entry in `errors` with a code, a message that says what to do, and an offset.
 */
export async function validateWasm(input: WasmInput, options: ValidateOptions = {}): Promise<ValidationReport> {
  const started = performance.now();
  const path = typeof input === 'string' ? input : undefined;
  const report = new Report(path, started);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array | undefined;
  if (typeof input === 'string') bytes = await readInput(input, maxBytes, report);
  else if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    bytes = toBytes(input);
    if (bytes.length > maxBytes)
      report.error({
        code: 'too-large',
        message: `the binary is ${mib(bytes.length)}, over the ${mib(maxBytes)} limit; raise maxBytes to accept it`,
      });
  } else {
    report.error({
      code: 'read-failed',
      message: `expected a path, a Uint8Array or an ArrayBuffer, got ${input === null ? 'null' : typeof input}`,
    });
  }
  if (!bytes || report.errors.length > 0) return report.finish();

  if (bytes.length === 0)
    return report.error({ code: 'empty', message: 'the file is empty (0 bytes); it is not a wasm binary' }).finish();
  const preamble = readPreamble(bytes);
  if (preamble.kind === 'unknown') {
    const magic = [0x00, 0x61, 0x73, 0x6d];
    const prefixOk = magic.slice(0, Math.min(4, bytes.length)).every((b, i) => bytes[i] === b);
    if (preamble.reason === 'too-short' && prefixOk) {
      return report
        .error({
          code: 'truncated',
          message: `the file is ${bytes.length} bytes, shorter than the 8-byte wasm header; it was cut short`,
          offset: bytes.length,
        })
        .finish();
    }
    if (!prefixOk) {
      return report
        .error({
          code: 'bad-magic',
          message: 'not a WebAssembly binary: it does not start with the bytes 00 61 73 6d ("\\0asm")',
          offset: 0,
        })
        .finish();
    }
    const version = Array.from(bytes.subarray(4, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return report
      .error({
        code: 'bad-version',
        message: `unsupported binary version (bytes ${version}); expected 01 00 00 00 for a core module or a component layer of 01 00`,
        offset: 4,
      })
      .finish();
  }
  let digest: Promise<string>;
  if (preamble.kind === 'core') {
    // V8 validates first, alone: hashing on the thread pool at the same time slowed its validation
    // (at 1 MiB, on 2 vCPUs, it took its slow path half the time instead of a quarter), while our
    // inspection below runs at full speed beside the hash.
    const engineValid = WebAssembly.validate(source(bytes));
    digest = sha256Hex(bytes);
    await validateCore(bytes, '', report, options, engineValid);
  } else {
    digest = sha256Hex(bytes);
    await validateComponent(bytes, '', report);
  }
  const sha256 = await digest;
  if (report.metadata) report.metadata.sha256 = sha256;
  if (options.sizeBudgetBytes !== undefined && bytes.length > options.sizeBudgetBytes) {
    report.warn({
      code: 'size-budget',
      message: `${mib(bytes.length)} is over the size budget of ${mib(options.sizeBudgetBytes)}`,
    });
  }
  return report.finish();
}
