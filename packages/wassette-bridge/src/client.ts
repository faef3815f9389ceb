import type { EngineChoice, EngineInfo, EngineProbes, EngineSelection } from './engines/select.js';
import { defaultProbes, selectEngine } from './engines/select.js';
import type { ValidationReport } from './validate/report.js';
import type { ValidateOptions, WasmInput } from './validate/validate.js';
import { validateWasm } from './validate/validate.js';

/** Default limits for executions; each is documented with what happens when a guest reaches it. */
export interface DefaultLimits {
  /** Linear memory cap in bytes: `memory.grow` past it returns -1 to the guest. */
  maxMemoryBytes: number;
  /** Wall-clock budget per execution: at the deadline the execution fails with `timeout`. */
  maxExecutionTimeMs: number;
  /** Instruction budget per execution, when set: running out fails with `out-of-fuel`. */
  fuel: number | undefined;
}

/** Client configuration: plain data, fixed once the client exists. */
export interface WassetteConfig {
  /** Off turns execution off altogether (validation still works). */
  enabled: boolean;
  /** Which engine runs modules: `js` (V8, always present), `wasmtime` (native addon) or `auto`. */
  engine: EngineChoice;
  /** Off runs guests without the deny-by-default sandbox; for trusted code only. */
  enableSandbox: boolean;
  limits: DefaultLimits;
  /** Where compiled and instrumented modules are cached on disk; no disk cache when unset. */
  cacheDir: string | undefined;
  /** File that receives one JSON line per execution; no audit log when unset. */
  auditLog: string | undefined;
  /** Defaults for every `validate` call; per-call options override them. */
  validation: ValidateOptions;
}

export const DEFAULT_CONFIG: WassetteConfig = Object.freeze({
  enabled: true,
  engine: 'js',
  enableSandbox: true,
  limits: Object.freeze({ maxMemoryBytes: 256 * 1024 * 1024, maxExecutionTimeMs: 30_000, fuel: undefined }),
  cacheDir: undefined,
  auditLog: undefined,
  validation: Object.freeze({}),
});

export interface WassetteClientOptions extends Partial<WassetteConfig> {
  /** Engine probes, for tests; production code leaves this alone. */
  probes?: EngineProbes;
}

/** The entry point: validates (and, in later releases, loads and executes) wasm on one engine. */
export class WassetteClient {
  readonly config: Readonly<WassetteConfig>;
  private readonly selection: EngineSelection;
  private readonly probes: EngineProbes;

  constructor(options: WassetteClientOptions = {}) {
    const { probes, ...config } = options;
    this.config = Object.freeze({
      ...DEFAULT_CONFIG,
      ...config,
      limits: Object.freeze({ ...DEFAULT_CONFIG.limits, ...config.limits }),
      validation: Object.freeze({ ...config.validation }),
    });
    this.probes = probes ?? defaultProbes;
    this.selection = selectEngine(this.config.engine, this.probes);
  }

  /** The engine this client runs on. */
  get engine(): EngineInfo {
    return this.selection.engine;
  }

  /** Why `auto` fell back to js, when it did. */
  get engineFallback(): string | undefined {
    return this.selection.fallback;
  }

  /** True when the selected engine can run modules here. */
  isAvailable(): boolean {
    return this.selection.engine.available;
  }

  /** Every engine this build knows, available or not, with the reason for each that is not. */
  engines(): EngineInfo[] {
    return [this.probes.js(), this.probes.wasmtime()];
  }

  /** Validates and describes a module or component; never throws on bad input (see `ValidationReport`). */
  validate(input: WasmInput, options: ValidateOptions = {}): Promise<ValidationReport> {
    return validateWasm(input, { ...this.config.validation, ...options });
  }
}
