import type { EngineChoice, EngineInfo, EngineProbes, EngineSelection } from './engines/select.js';
import { defaultProbes, selectEngine } from './engines/select.js';
import type { ValidationReport } from './validate/report.js';
import type { ValidateOptions, WasmInput } from './validate/validate.js';
import { validateWasm } from './validate/validate.js';

/** Client configuration: plain data, fixed once the client exists. */
export interface WassetteConfig {
  /** Which engine runs modules: `js` (V8, always present), `wasmtime` (native addon) or `auto`. */
  engine: EngineChoice;
  /** Defaults for every `validate` call; per-call options override them. */
  validation: ValidateOptions;
}

export const DEFAULT_CONFIG: WassetteConfig = Object.freeze({ engine: 'js', validation: Object.freeze({}) });

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
    this.config = Object.freeze({ ...DEFAULT_CONFIG, ...config, validation: Object.freeze({ ...config.validation }) });
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
