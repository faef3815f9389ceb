import { BridgeError, TRAP_CODES, type TrapCode } from '../../errors.js';
import { parseJsonReply } from '../../execute/json-reply.js';
import type { ExecutionResult } from '../../execute/types.js';
import type { CompileOptions, CompileOutput, Engine, RunOptions, RunPlan } from '../engine.js';
import type { EngineInfo } from '../select.js';
import { trapError } from '../trap-error.js';
import { BUILD_HINT, loadAddon, type NativeEngine, type NativeModule, type NativePlan } from './addon.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const NUMBER_TYPES = new Set(['i32', 'i64', 'f32', 'f64']);

/** The codes the addon may report, as the bridge spells them. */
const KNOWN_CODES = new Set<string>(TRAP_CODES);

let probed: EngineInfo | undefined;

/** Whether the Wasmtime addon loads here, its version, or why not and how to fix it. */
export function probeWasmtime(): EngineInfo {
  if (probed) return probed;
  const loaded = loadAddon();
  probed =
    'addon' in loaded
      ? {
          name: 'wasmtime',
          available: true,
          version: `Wasmtime ${loaded.addon.NativeEngine.wasmtimeVersion()}`,
          reason: undefined,
        }
      : {
          name: 'wasmtime',
          available: false,
          version: undefined,
          reason: `the native addon @portalis/wassette-native did not load: ${loaded.error}; ${BUILD_HINT}`,
        };
  return probed;
}

/** A rejection of the addon (before anything ran) as a `BridgeError`. */
function preRunError(e: unknown, name: string): BridgeError {
  const code = (e as { code?: unknown }).code;
  const message = (e as Error).message ?? String(e);
  switch (code) {
    case 'link':
      return new BridgeError('link', `${name} cannot be linked: ${message}`, { cause: e });
    case 'grant':
      return new BridgeError('permission-denied', `${name}: a grant could not be set up: ${message}`, { cause: e });
    case 'compile':
      return new BridgeError('validation', `Wasmtime could not compile ${name}: ${message}`, { cause: e });
    case 'invalid':
      return new BridgeError('invalid-input', `${name}: ${message}`, { cause: e });
    default:
      return new BridgeError('engine-unavailable', `the wasmtime engine failed: ${message}`, { cause: e });
  }
}

/** The plan in the addon's terms: argv, env pairs, preopens and limits as plain values. */
function nativePlan(plan: RunPlan): NativePlan {
  const { request, permissions, limits } = plan;
  const out: NativePlan = {
    kind: request.kind,
    args: [plan.name, ...(request.kind === 'command' ? (request.args ?? []) : [])],
    env: plan.env,
    preopens: permissions.allowFs
      ? permissions.allowedPaths.map((p) => ({ hostPath: p.hostPath, guestPath: p.guestPath, readOnly: p.readOnly }))
      : [],
    network: {
      allow: permissions.allowNetwork,
      hosts: permissions.allowedHosts.map((h) =>
        h.port === undefined ? { host: h.host } : { host: h.host, port: h.port },
      ),
    },
    limits: {
      maxMemoryBytes: limits.maxMemoryBytes,
      timeoutMs: limits.maxExecutionTimeMs,
      maxOutputBytes: limits.maxOutputBytes,
      ...(plan.metered && limits.fuel !== undefined ? { fuel: limits.fuel } : {}),
    },
  };
  if (request.kind === 'command' && request.stdin !== undefined)
    out.stdin = typeof request.stdin === 'string' ? encoder.encode(request.stdin) : request.stdin;
  if (request.kind === 'function') {
    out.function = request.name;
    out.fnArgs = (request.args ?? []).map((value, i) => {
      const type = request.params[i];
      if (!type || !NUMBER_TYPES.has(type))
        throw new BridgeError(
          'invalid-input',
          `${plan.name}: parameter ${i} of ${request.name} has type ${type}, which a call cannot pass`,
        );
      return { type: type as 'i32' | 'i64' | 'f32' | 'f64', value };
    });
  }
  if (request.kind === 'json') {
    out.function = request.name;
    out.jsonInput = encoder.encode(request.inputJson);
    if (request.allocExport !== undefined) out.allocExport = request.allocExport;
  }
  if (plan.deterministic !== false)
    out.deterministic = {
      startTimeNs: plan.deterministic.startTimeNs ?? 0n,
      seed: plan.deterministic.seed ?? 0,
    };
  return out;
}

/**
 * Wasmtime through the napi-rs addon. Limits are Wasmtime's own (fuel, epoch deadlines, a store
 * limiter, capped pipes), compiled code is cached as `.cwasm`, and each run is a fresh `Store` on
 * a libuv thread, so the caller's thread never runs guest code.
 */
export class WasmtimeEngine implements Engine<NativeModule> {
  readonly info: EngineInfo;
  readonly limits = 'native';
  readonly runsComponents = true;
  private readonly native: NativeEngine;
  private closed = false;

  constructor() {
    this.info = probeWasmtime();
    const loaded = loadAddon();
    if (!('addon' in loaded))
      throw new BridgeError('engine-unavailable', `the wasmtime engine is not available: ${this.info.reason}`);
    this.native = new loaded.addon.NativeEngine();
  }

  async compile(bytes: Uint8Array, options: CompileOptions): Promise<CompileOutput<NativeModule>> {
    this.checkOpen();
    let compiled: NativeModule;
    try {
      compiled = await this.native.compile(bytes, {
        metered: options.metered,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      });
    } catch (e) {
      throw preRunError(e, 'the module');
    }
    return { compiled, source: compiled.source };
  }

  async run(module: NativeModule, plan: RunPlan, options: RunOptions): Promise<ExecutionResult> {
    this.checkOpen();
    const native = nativePlan(plan);
    // Chunks travel through a thread-safe queue that may deliver after the call settles; the
    // outcome says how many were sent, and the result waits until each one has arrived.
    let received = 0;
    let wanted = Number.POSITIVE_INFINITY;
    let allArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    const onOutput = plan.stream
      ? (stream: 'stdout' | 'stderr', chunk: Uint8Array) => {
          (stream === 'stdout' ? options.stdout : options.stderr)?.(new Uint8Array(chunk));
          if (++received >= wanted) allArrived();
        }
      : null;
    let outcome: Awaited<ReturnType<NativeEngine['run']>>;
    try {
      outcome = await this.native.run(module, native, options.signal ?? null, onOutput);
    } catch (e) {
      throw preRunError(e, plan.name);
    }
    if (plan.stream) {
      wanted = outcome.chunks;
      if (received >= wanted) allArrived();
      await arrived;
    }
    let error: BridgeError | undefined;
    let returnValue: unknown;
    if (outcome.trap !== undefined) {
      const code = (KNOWN_CODES.has(outcome.trap) ? outcome.trap : 'unknown') as TrapCode;
      error = trapError(code, plan.name, {
        fuel: plan.limits.fuel,
        timeoutMs: plan.limits.maxExecutionTimeMs,
        maxOutputBytes: plan.limits.maxOutputBytes,
        engineMessage: outcome.message,
      });
      if (code === 'protocol-error' && outcome.message)
        error = new BridgeError('trap', `${plan.name}: ${outcome.message}`, { code });
    } else if (plan.request.kind === 'function') {
      returnValue = outcome.returns ?? [];
    } else if (plan.request.kind === 'json' && outcome.exitCode === undefined) {
      try {
        returnValue = parseJsonReply(outcome.jsonOutput ?? EMPTY, plan.name, plan.request.name);
      } catch (e) {
        error = e as BridgeError;
      }
    }
    const exitCode = outcome.exitCode ?? undefined;
    return {
      success: error === undefined && (exitCode === undefined || exitCode === 0),
      exitCode,
      stdout: new Uint8Array(outcome.stdout.buffer, outcome.stdout.byteOffset, outcome.stdout.byteLength),
      stderr: new Uint8Array(outcome.stderr.buffer, outcome.stderr.byteOffset, outcome.stderr.byteLength),
      outputBytes: outcome.outputBytes,
      returnValue,
      executionTimeMs: outcome.elapsedMs,
      memoryUsedBytes: outcome.memoryUsedBytes,
      memoryGrowFailures: outcome.memoryGrowFailures,
      fuelConsumed: plan.metered ? outcome.fuelConsumed : undefined,
      trap: error?.code,
      error: error?.toJSON(),
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new BridgeError('invalid-input', 'this client is closed; create a new WassetteClient');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
