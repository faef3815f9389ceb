import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ValidationReport } from '@portalis/wassette-bridge';
import { DEFAULT_MAX_BYTES, WassetteClient } from '@portalis/wassette-bridge';
import type { VerifyCheck, VerifyReport } from './checks.js';
import { formatSize, runChecks } from './checks.js';
import { PackagingError } from './errors.js';
import { keyFingerprint, publicKeyDer, readPrivateKey } from './keys.js';
import type { PackageManifest } from './manifest.js';
import { loadManifest } from './manifest.js';
import type { Optimizer } from './optimize.js';
import { wasmOptOz } from './optimize.js';
import { sha256Hex, signPackage } from './signature.js';

/** The package layout version written to manifest.json's `formatVersion`. */
export const PACKAGE_FORMAT_VERSION = 1;
/** Written to `portalisVersion`, and the default `engine.min`. */
export const PORTALIS_VERSION = '0.1.0';

/** The three files of a package directory. */
export const PACKAGE_FILES = { module: 'module.wasm', manifest: 'manifest.json', signature: 'manifest.sig' } as const;

export interface PackagingAgentOptions {
  client?: WassetteClient;
  /** Replaces `wasm-opt -Oz` (binaryen) for `optimize: true`. */
  optimizer?: Optimizer;
}

export interface VerifyOptions {
  /** Run `wasm-opt -Oz` first and check the optimized module (kept only when it is smaller). */
  optimize?: boolean;
}

export interface PackageOptions extends VerifyOptions {
  /** PREFIX.key from `generateKeyPair`. */
  keyFile: string;
  /** The package is written to `outDir/<name>-<version>/`. */
  outDir: string;
}

/** What manifest.json holds: the given manifest plus what packaging measured and who signed it. */
export interface WrittenManifest extends PackageManifest {
  formatVersion: number;
  engine: { min: string; engines: string[]; kind: 'core' | 'component'; wasi: string; features: string[] };
  module: string;
  sha256: string;
  size: number;
  gzipSize: number;
  optimized?: { tool: string; before: number; after: number };
  createdBy: 'portalis';
  portalisVersion: string;
  signer: { algorithm: 'ed25519'; keyId: string; publicKey: string };
}

export interface PackageResult {
  /** The package directory (absolute). */
  dir: string;
  manifest: WrittenManifest;
  report: VerifyReport;
  files: { module: string; manifest: string; signature: string };
  keyId: string;
}

/** A module after the optional optimization, with everything the checks need. */
interface Inspection {
  manifest: PackageManifest;
  bytes: Uint8Array;
  validation: ValidationReport;
  gzipSize: number;
  report: VerifyReport;
  optimized: { before: number; after: number } | undefined;
}

async function readArtifact(artifact: string | Uint8Array): Promise<Uint8Array> {
  if (typeof artifact !== 'string') return artifact;
  try {
    const info = await stat(artifact);
    if (info.isDirectory()) throw new PackagingError('bad-input', `${artifact} is a directory; pass the .wasm file`);
    if (info.size > DEFAULT_MAX_BYTES)
      throw new PackagingError(
        'bad-input',
        `${artifact} is ${formatSize(info.size)}, more than Portalis reads (256 MiB)`,
      );
    return new Uint8Array(await readFile(artifact));
  } catch (e) {
    if (e instanceof PackagingError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new PackagingError(
      'bad-input',
      code === 'ENOENT'
        ? `no such artifact: ${artifact}; check the path`
        : `cannot read ${artifact}: ${(e as Error).message}`,
    );
  }
}

const gzipSizeOf = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length;

function percent(before: number, after: number): string {
  return `${(((after - before) / before) * 100).toFixed(1)}%`;
}

/** Writes through a temporary file and a rename, so that a reader never sees half a file. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Verifies a wasm artifact against its manifest and writes signed packages. Depends on the bridge
 * only for validation (which also yields exports, imports and capabilities); it never executes.
 */
export class PackagingAgent {
  readonly #client: WassetteClient;
  readonly #optimizer: Optimizer;

  constructor(options: PackagingAgentOptions = {}) {
    this.#client = options.client ?? new WassetteClient();
    this.#optimizer = options.optimizer ?? wasmOptOz;
  }

  /**
   * Runs every check (valid, exports, imports, capabilities, size, gzip-size, convention, and
   * optimize when asked) and reports them all. Throws `PackagingError` only for unusable input: an
   * unreadable artifact or a bad manifest (a path to YAML/JSON, or an object).
   */
  async verify(
    artifact: string | Uint8Array,
    manifest: PackageManifest | string,
    options: VerifyOptions = {},
  ): Promise<VerifyReport> {
    return (await this.#inspect(artifact, manifest, options)).report;
  }

  /**
   * Verifies, then writes `outDir/<name>-<version>/` with module.wasm, manifest.json and
   * manifest.sig. Refuses with a `verify-failed` PackagingError (its `report` lists every check)
   * when any check fails. Packaging the same name and version again replaces the three files.
   */
  async package(
    artifact: string | Uint8Array,
    manifest: PackageManifest | string,
    options: PackageOptions,
  ): Promise<PackageResult> {
    const key = await readPrivateKey(options.keyFile);
    const found = await this.#inspect(artifact, manifest, options);
    const m = found.manifest;
    if (!found.report.ok) {
      const failed = found.report.checks.filter((c) => !c.ok);
      throw new PackagingError(
        'verify-failed',
        `${m.name} ${m.version} was not packaged: ${failed.length} check${failed.length === 1 ? '' : 's'} failed (${failed.map((c) => c.name).join(', ')})`,
        { report: found.report, details: { failed: failed.map((c) => c.name) } },
      );
    }
    const meta = found.validation.metadata!;
    const sha256 = sha256Hex(found.bytes);
    const keyId = keyFingerprint(key);
    const written: WrittenManifest = {
      formatVersion: PACKAGE_FORMAT_VERSION,
      ...m,
      engine: {
        min: m.engine?.min ?? PORTALIS_VERSION,
        // Components run as commands on wasmtime only for now (see the README's engine table).
        engines: m.engine?.engines ?? (meta.kind === 'core' ? ['js', 'wasmtime'] : ['wasmtime']),
        kind: meta.kind,
        wasi: meta.wasi,
        features: meta.features,
      },
      module: PACKAGE_FILES.module,
      sha256,
      size: found.bytes.length,
      gzipSize: found.gzipSize,
      ...(found.optimized ? { optimized: { tool: 'wasm-opt -Oz (binaryen)', ...found.optimized } } : {}),
      createdBy: 'portalis',
      portalisVersion: PORTALIS_VERSION,
      signer: { algorithm: 'ed25519', keyId, publicKey: publicKeyDer(key).toString('base64') },
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(written, null, 2)}\n`, 'utf8');
    const signature = signPackage(key, manifestBytes, sha256);

    const dir = resolve(options.outDir, `${m.name}-${m.version}`);
    const files = {
      module: join(dir, PACKAGE_FILES.module),
      manifest: join(dir, PACKAGE_FILES.manifest),
      signature: join(dir, PACKAGE_FILES.signature),
    };
    try {
      await mkdir(dir, { recursive: true });
      await writeAtomically(files.module, found.bytes);
      await writeAtomically(files.manifest, manifestBytes);
      await writeAtomically(files.signature, signature);
    } catch (e) {
      throw new PackagingError('bad-input', `cannot write the package to ${dir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return { dir, manifest: written, report: found.report, files, keyId };
  }

  async #inspect(
    artifact: string | Uint8Array,
    manifestInput: PackageManifest | string,
    options: VerifyOptions,
  ): Promise<Inspection> {
    const manifest = await loadManifest(manifestInput);
    const original = await readArtifact(artifact);
    let bytes = original;
    let validation = await this.#client.validate(original);
    let optimizeCheck: VerifyCheck | undefined;
    let optimized: Inspection['optimized'];
    if (options.optimize) {
      const out = await this.#optimize(original, validation);
      optimizeCheck = out.check;
      if (out.bytes && out.validation) {
        bytes = out.bytes;
        validation = out.validation;
        optimized = { before: original.length, after: out.bytes.length };
      }
    }
    const gzipSize = gzipSizeOf(bytes);
    const checked = runChecks({ report: validation, size: bytes.length, gzipSize, manifest });
    const report: VerifyReport = {
      ok: checked.ok && (optimizeCheck?.ok ?? true),
      checks: optimizeCheck ? [optimizeCheck, ...checked.checks] : checked.checks,
      module: { size: bytes.length, gzipSize, ...(optimized ? { optimized } : {}) },
    };
    return { manifest, bytes, validation, gzipSize, report, optimized };
  }

  /** Runs the optimizer; the result is used only when it validates, adds no feature, and is smaller. */
  async #optimize(
    wasm: Uint8Array,
    validation: ValidationReport,
  ): Promise<{ check: VerifyCheck; bytes?: Uint8Array; validation?: ValidationReport }> {
    const check = (ok: boolean, message: string, skipped?: true): VerifyCheck => ({
      name: 'optimize',
      ok,
      message,
      ...(skipped ? { skipped } : {}),
    });
    const meta = validation.metadata;
    if (!validation.isValid || !meta) return { check: check(false, 'not optimized: the module is not valid', true) };
    if (meta.kind === 'component')
      return { check: check(true, 'skipped: wasm-opt works on core modules; the component is packaged as it is') };
    let out: Uint8Array;
    try {
      out = await this.#optimizer(wasm, meta.features);
    } catch (e) {
      return {
        check: check(false, `wasm-opt -Oz failed: ${(e as Error)?.message ?? String(e)}; package without --optimize`),
      };
    }
    const after = await this.#client.validate(out);
    if (!after.isValid || !after.metadata) {
      const why = after.errors.map((e) => `error[${e.code}]: ${e.message}`).join('; ');
      return {
        check: check(false, `wasm-opt -Oz produced an invalid module (${why}); package without --optimize`),
      };
    }
    const added = after.metadata.features.filter((f) => !meta.features.includes(f));
    if (added.length)
      return {
        check: check(
          false,
          `wasm-opt -Oz made the module use ${added.join(', ')}, which the original did not; package without --optimize`,
        ),
      };
    if (out.length >= wasm.length)
      return {
        check: check(
          true,
          `wasm-opt -Oz gave ${formatSize(out.length)}, not smaller than ${formatSize(wasm.length)}; kept the original`,
        ),
      };
    return {
      check: check(
        true,
        `wasm-opt -Oz: ${formatSize(wasm.length)} -> ${formatSize(out.length)} (${percent(wasm.length, out.length)}); the optimized module is valid`,
      ),
      bytes: out,
      validation: after,
    };
  }
}
