import { parseLineDiagnostics } from '../diagnostics.js';
import { TranspileError } from '../errors.js';
import { findPackageDir, readPackageJson } from '../tools.js';
import type { CompileOutput, CompileRequest, Frontend, FrontendDetection, Lang } from '../types.js';
import { compileFailed } from './common.js';

type WabtFeatures = Record<string, boolean>;

const WABT_FILE_NAME = 'source.wat';

interface WabtModule {
  resolveNames(): void;
  validate(features?: WabtFeatures): void;
  toBinary(options: { write_debug_names?: boolean }): { buffer: Uint8Array };
  destroy(): void;
}

interface Wabt {
  parseWat(filename: string, source: string, features?: WabtFeatures): WabtModule;
}

/**
 * Proposals a WAT file enables on its first line, as the repository's fixtures do:
 * `;; features: simd threads multi_memory` (wabt's feature names).
 */
export function watFeatures(source: string): WabtFeatures {
  const m = /^;;\s*features:\s*(.*)$/.exec(source.split('\n', 1)[0] ?? '');
  const f: WabtFeatures = {};
  for (const name of m?.[1]?.split(/[\s,]+/).filter(Boolean) ?? []) f[name] = true;
  return f;
}

export interface WatFrontendOptions {
  /** The npm package to load (default `wabt`); a name that does not resolve makes the frontend unavailable. */
  packageName?: string;
}

/** WAT (the text format) through the `wabt` npm package: no native toolchain needed. */
export class WatFrontend implements Frontend {
  readonly name = 'wat';
  readonly langs: readonly Lang[] = ['wat'];
  readonly extensions = ['.wat', '.wast'];
  private readonly packageName: string;
  private wabt: Promise<Wabt> | undefined;

  constructor(options: WatFrontendOptions = {}) {
    this.packageName = options.packageName ?? 'wabt';
  }

  async detect(): Promise<FrontendDetection> {
    const install = `npm install ${this.packageName}`;
    const dir = findPackageDir(this.packageName);
    if (!dir)
      return { available: false, tool: this.packageName, install, reason: `${this.packageName} is not installed` };
    try {
      await this.load();
    } catch (e) {
      return {
        available: false,
        tool: this.packageName,
        install,
        reason: `${this.packageName} did not load: ${(e as Error).message}`,
      };
    }
    const version = readPackageJson(dir)?.version;
    return { available: true, tool: this.packageName, ...(version ? { version } : {}) };
  }

  private load(): Promise<Wabt> {
    this.wabt ??= (async () => {
      const mod = (await import(this.packageName)) as { default: () => Promise<Wabt> };
      return mod.default();
    })();
    this.wabt.catch(() => {
      this.wabt = undefined;
    });
    return this.wabt;
  }

  async compile(request: CompileRequest): Promise<CompileOutput> {
    let wabt: Wabt;
    try {
      wabt = await this.load();
    } catch (e) {
      throw new TranspileError(
        'toolchain-missing',
        `the WAT frontend needs the ${this.packageName} npm package: ${(e as Error).message}`,
        { frontend: this.name, install: `npm install ${this.packageName}` },
      );
    }
    const features = watFeatures(request.source);
    let mod: WabtModule | undefined;
    try {
      // wabt.js garbles file names of some lengths (12, 20, 28... bytes gain a stray byte), so it
      // gets a fixed short name and the diagnostics get the real one back.
      mod = wabt.parseWat(WABT_FILE_NAME, request.source, features);
      mod.resolveNames();
      mod.validate(features);
      return { wasm: new Uint8Array(mod.toBinary({ write_debug_names: true }).buffer), warnings: [] };
    } catch (e) {
      // wabt reports "parseWat failed:" or "validate failed:" and then clang-style lines.
      const text = String((e as Error).message ?? e).replace(/^\w+ failed:\s*/, '');
      throw compileFailed(
        this.name,
        request,
        parseLineDiagnostics(text, { names: { [WABT_FILE_NAME]: request.displayName } }),
      );
    } finally {
      mod?.destroy();
    }
  }
}
