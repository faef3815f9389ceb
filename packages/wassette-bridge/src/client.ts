import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Observable } from 'rxjs';
import type { Engine, OutputSinks } from './engines/engine.js';
import { JsEngine, type JsEngineOptions } from './engines/js/engine.js';
import type { EngineChoice, EngineInfo, EngineProbes, EngineSelection } from './engines/select.js';
import { defaultProbes, selectEngine } from './engines/select.js';
import { WasmtimeEngine } from './engines/wasmtime/engine.js';
import { BridgeError } from './errors.js';
import { ModuleLoader } from './execute/load.js';
import { makePlan } from './execute/plan.js';
import {
  type ComponentHandle,
  DEFAULT_LIMITS,
  type ExecutionEvent,
  type ExecutionRequest,
  type ExecutionResult,
  type LoadOptions,
  type ResourceLimits,
} from './execute/types.js';
import { AuditLog, auditRecord, executionOutcome } from './observe/audit.js';
import { createLogger, type LogOption } from './observe/log.js';
import { BridgeMetrics } from './observe/metrics.js';
import { ComponentPermissions } from './permissions.js';
import type { ValidationReport } from './validate/report.js';
import type { ValidateOptions, WasmInput } from './validate/validate.js';
import { validateWasm } from './validate/validate.js';

/** Default limits for executions; each is documented with what happens when a guest reaches it. */
export type DefaultLimits = ResourceLimits;

/** Client configuration: plain data, fixed once the client exists. */
export interface WassetteConfig {
  /** Off turns execution off altogether (validation still works). */
  enabled: boolean;
  /** Which engine runs modules: `js` (V8, always present), `wasmtime` (native addon) or `auto`. */
  engine: EngineChoice;
  /**
   * On (the default), a guest gets exactly `permissions`. Off, for trusted code only, a request
   * that names no permissions gets the current directory read-write (as `.`) and the whole host
   * environment; paths stay confined to the granted directory and every limit still applies.
   */
  enableSandbox: boolean;
  limits: ResourceLimits;
  /** What a request that names no permissions may touch; default `ComponentPermissions.none()`. */
  permissions: ComponentPermissions;
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
  limits: DEFAULT_LIMITS,
  permissions: ComponentPermissions.none(),
  cacheDir: undefined,
  auditLog: undefined,
  validation: Object.freeze({}),
});

export interface WassetteClientOptions extends Partial<Omit<WassetteConfig, 'limits'>> {
  limits?: Partial<ResourceLimits>;
  /** Engine probes, for tests; production code leaves this alone. */
  probes?: EngineProbes;
  /** Worker pool size for the js engine. */
  workers?: JsEngineOptions;
  /** Host environment that env grants read from; default `process.env`. */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Structured logs (pino): off by default; `true` logs at info to stderr. */
  log?: LogOption;
  /** Prometheus registry for the bridge's metrics; default prom-client's global registry. */
  metrics?: Registry;
}

interface Internal {
  compiled: unknown;
}

/** The entry point: validates, loads and executes wasm on one engine under one configuration. */
export class WassetteClient {
  readonly config: Readonly<WassetteConfig>;
  private readonly selection: EngineSelection;
  private readonly probes: EngineProbes;
  private readonly hostEnv: Readonly<Record<string, string | undefined>>;
  private readonly workerOptions: JsEngineOptions | undefined;
  private runtime: { engine: Engine; loader: ModuleLoader } | undefined;
  private readonly handles = new WeakMap<ComponentHandle, Internal>();
  private readonly audit: AuditLog | undefined;
  /** The Prometheus metrics this client records into. */
  readonly metrics: BridgeMetrics;
  /** The structured logger (silent unless the `log` option turned it on). */
  readonly log: Logger;

  constructor(options: WassetteClientOptions = {}) {
    const { probes, workers, hostEnv, log, metrics, ...config } = options;
    this.config = Object.freeze({
      ...DEFAULT_CONFIG,
      ...config,
      limits: Object.freeze({ ...DEFAULT_CONFIG.limits, ...config.limits }),
      permissions: config.permissions ?? DEFAULT_CONFIG.permissions,
      validation: Object.freeze({ ...config.validation }),
    });
    this.probes = probes ?? defaultProbes;
    this.hostEnv = hostEnv ?? process.env;
    this.workerOptions = workers;
    this.selection = selectEngine(this.config.engine, this.probes);
    this.log = createLogger(log);
    this.metrics = BridgeMetrics.for(metrics);
    this.audit = this.config.auditLog ? new AuditLog(this.config.auditLog) : undefined;
    if (this.selection.fallback) this.log.warn({ engine: this.selection.engine.name }, this.selection.fallback);
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
  async validate(input: WasmInput, options: ValidateOptions = {}): Promise<ValidationReport> {
    const started = performance.now();
    const report = await validateWasm(input, { ...this.config.validation, ...options });
    this.metrics.recordValidation((performance.now() - started) / 1000, report.isValid);
    return report;
  }

  private started(): { engine: Engine; loader: ModuleLoader } {
    if (!this.config.enabled)
      throw new BridgeError('invalid-input', 'execution is disabled in this configuration (enabled = false)');
    if (this.runtime) return this.runtime;
    const engine: Engine =
      this.selection.engine.name === 'wasmtime' ? new WasmtimeEngine() : new JsEngine(this.workerOptions);
    const loader = new ModuleLoader(
      engine,
      this.config.cacheDir,
      this.config.validation,
      (message) => this.log.warn(message),
      (ms, valid) => this.metrics.recordValidation(ms / 1000, valid),
    );
    this.runtime = { engine, loader };
    return this.runtime;
  }

  /**
   * Validates, instruments (memory cap, fuel meter) and compiles a module, or takes it from the
   * cache. Throws `BridgeError`: `validation` for a bad module, `link` for imports the sandbox
   * does not provide, `limit-exceeded` (`memory-limit`) when its memory cannot fit the cap.
   */
  async load(input: WasmInput, options: LoadOptions = {}): Promise<ComponentHandle> {
    const { loader } = this.started();
    const loaded = await loader.load(input, {
      maxMemoryBytes: options.limits?.maxMemoryBytes ?? this.config.limits.maxMemoryBytes,
      fuel: options.limits?.fuel ?? this.config.limits.fuel,
      name: options.name,
    });
    this.handles.set(loaded.handle, { compiled: loaded.compiled });
    if (loaded.validationMs !== undefined) this.metrics.recordValidation(loaded.validationMs / 1000, true);
    const { name, digest, source, loadTimeMs, metered, maxMemoryBytes } = loaded.handle;
    this.log.debug({ module: { name, digest }, source, loadTimeMs, metered, maxMemoryBytes }, 'module loaded');
    return loaded.handle;
  }

  /**
   * Runs one request on a fresh instance. Traps and limits come back as a result with
   * `success: false`, `trap` and `error`; a request that cannot run (unknown export, wrong
   * arguments, a grant that does not exist) throws `BridgeError` with kind `invalid-input`.
   */
  execute(handle: ComponentHandle, request: ExecutionRequest): Promise<ExecutionResult> {
    return this.run(handle, request, undefined);
  }

  /**
   * The same execution as an Observable of events: `started`, output chunks as the guest writes
   * them, then `exited` with the result. Unsubscribing before the end cancels the execution.
   */
  executeStream(handle: ComponentHandle, request: ExecutionRequest): Observable<ExecutionEvent> {
    return new Observable<ExecutionEvent>((subscriber) => {
      const controller = new AbortController();
      const outer = request.signal;
      const onAbort = () => controller.abort();
      outer?.addEventListener('abort', onAbort, { once: true });
      if (outer?.aborted) controller.abort();
      subscriber.next({
        type: 'started',
        handle: handle.id,
        kind: request.kind,
        isolation: request.isolation ?? 'worker',
      });
      this.run(
        handle,
        { ...request, signal: controller.signal },
        {
          stdout: (chunk) => subscriber.next({ type: 'stdout', chunk }),
          stderr: (chunk) => subscriber.next({ type: 'stderr', chunk }),
        },
      ).then(
        (result) => {
          subscriber.next({ type: 'exited', result });
          subscriber.complete();
        },
        (e) => subscriber.error(e),
      );
      return () => {
        outer?.removeEventListener('abort', onAbort);
        controller.abort();
      };
    });
  }

  private defaultPermissions(): ComponentPermissions {
    if (this.config.enableSandbox) return this.config.permissions;
    return Object.freeze({
      ...this.config.permissions,
      allowFs: true,
      allowedPaths: [{ hostPath: process.cwd(), guestPath: '.', readOnly: false }],
      allowEnv: true,
      allowedEnvVars: ['*'],
    });
  }

  private async run(
    handle: ComponentHandle,
    request: ExecutionRequest,
    sinks: OutputSinks | undefined,
  ): Promise<ExecutionResult> {
    const { engine } = this.started();
    const internal = this.handles.get(handle);
    if (!internal)
      throw new BridgeError('invalid-input', 'this handle was not loaded by this client; call client.load() first');
    if (!request || typeof request !== 'object')
      throw new BridgeError('invalid-input', 'execute needs a request object such as { kind: "command" }');
    const limits: ResourceLimits = {
      ...this.config.limits,
      fuel: handle.fuel ?? this.config.limits.fuel,
      ...request.limits,
      maxMemoryBytes: handle.maxMemoryBytes,
    };
    if (!handle.metered && request.limits?.fuel === undefined) limits.fuel = undefined;
    const permissions = request.permissions ?? this.defaultPermissions();
    const { plan, isolation } = makePlan({
      handle,
      request,
      permissions,
      limits,
      hostEnv: this.hostEnv,
      stream: sinks !== undefined,
    });
    const started = performance.now();
    const result = await engine.run(internal.compiled, plan, {
      isolation,
      ...sinks,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const totalMs = performance.now() - started;
    // The audit record hashes the output; build it only when something will read it.
    const logging = this.log.isLevelEnabled('info');
    const record =
      this.audit || logging
        ? auditRecord({
            handle,
            request,
            result,
            permissions,
            limits,
            isolation,
            deterministic: plan.deterministic !== false,
            totalMs,
          })
        : undefined;
    this.metrics.recordExecution(totalMs / 1000, handle.engine, record?.outcome ?? executionOutcome(result));
    if (record && logging)
      this.log.info(
        {
          module: record.module,
          request: record.request,
          outcome: record.outcome,
          trap: record.trap,
          durations: record.durations,
        },
        'execution finished',
      );
    // A configured audit log is part of the contract: failing to write it fails the call.
    if (record) this.audit?.write(record);
    return result;
  }

  /** Stops the worker threads; the client cannot execute afterwards (validate still works). */
  async close(): Promise<void> {
    this.audit?.close();
    const runtime = this.runtime;
    if (!runtime) return;
    await runtime.engine.close();
  }
}
