import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { BridgeError } from '../../errors.js';
import type { ExecutionResult } from '../../execute/types.js';
import type { CompileOutput, Engine, RunOptions, RunPlan } from '../engine.js';
import { defaultProbes, type EngineInfo } from '../select.js';
import { runPlan } from './runner.js';
import type { PortMessage, WorkerTask } from './worker.js';

export interface JsEngineOptions {
  /** Most worker threads alive at once; default: the number of CPUs. */
  maxWorkers?: number;
  /** Threads kept warm even when idle; default 1. */
  minWorkers?: number;
}

/**
 * The worker script. Tests run this package from its TypeScript sources, which a worker thread
 * cannot load, so from `src/` the built copy in `dist/` is used (the test target builds first).
 */
function workerFile(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? '../../../dist/engines/js/worker.js' : './worker.js', import.meta.url);
}

function failed(code: 'timeout' | 'cancelled' | 'unknown', message: string, elapsed: number): ExecutionResult {
  const error = new BridgeError(code === 'timeout' ? 'limit-exceeded' : 'trap', message, { code });
  return {
    success: false,
    exitCode: undefined,
    stdout: new Uint8Array(0),
    stderr: new Uint8Array(0),
    outputBytes: 0,
    returnValue: undefined,
    executionTimeMs: elapsed,
    memoryUsedBytes: 0,
    memoryGrowFailures: 0,
    fuelConsumed: undefined,
    trap: code,
    error: error.toJSON(),
  };
}

/**
 * V8 with Portalis's WASI host. Executions run in a pool of worker threads (a thread that passes
 * its deadline is terminated and replaced) or, when fuel bounds them, on the caller's thread.
 */
export class JsEngine implements Engine<WebAssembly.Module> {
  readonly info: EngineInfo = defaultProbes.js();
  readonly limits = 'instrumented';
  readonly runsComponents = false;
  private pool: Piscina | undefined;
  private closed = false;

  constructor(private readonly options: JsEngineOptions = {}) {}

  async compile(bytes: Uint8Array): Promise<CompileOutput<WebAssembly.Module>> {
    try {
      return { compiled: await WebAssembly.compile(bytes as BufferSource), source: 'compile' };
    } catch (e) {
      throw new BridgeError('validation', `V8 could not compile the module: ${(e as Error).message}`, { cause: e });
    }
  }

  private workers(): Piscina {
    if (this.closed) throw new BridgeError('invalid-input', 'this client is closed; create a new WassetteClient');
    this.pool ??= new Piscina({
      filename: workerFile().href,
      minThreads: this.options.minWorkers ?? 1,
      maxThreads: this.options.maxWorkers ?? Math.max(1, availableParallelism()),
      idleTimeout: 30_000,
      // Workers load only the built bridge; the parent's flags (a test runner's `--conditions`
      // pointing packages at their TypeScript sources, say) must not follow them.
      execArgv: [],
    });
    return this.pool;
  }

  async run(module: WebAssembly.Module, plan: RunPlan, options: RunOptions): Promise<ExecutionResult> {
    if (options.isolation === 'in-thread') {
      if (options.signal?.aborted) return failed('cancelled', `${plan.name}: cancelled before it started`, 0);
      return runPlan(module, plan, options);
    }
    const pool = this.workers();
    const started = performance.now();
    const controller = new AbortController();
    let reason: 'timeout' | 'cancelled' | undefined;
    const abort = (why: 'timeout' | 'cancelled') => {
      reason ??= why;
      controller.abort();
    };
    const timer = setTimeout(() => abort('timeout'), plan.limits.maxExecutionTimeMs);
    const onCancel = () => abort('cancelled');
    options.signal?.addEventListener('abort', onCancel, { once: true });
    if (options.signal?.aborted) abort('cancelled');
    let channel: MessageChannel | undefined;
    let drained: Promise<void> = Promise.resolve();
    if (plan.stream) {
      const ch = new MessageChannel();
      channel = ch;
      drained = new Promise((resolve) => {
        ch.port1.on('message', (m: PortMessage) => {
          if ('end' in m) resolve();
          else if (m.s === 1) options.stdout?.(m.c);
          else options.stderr?.(m.c);
        });
        ch.port1.on('close', () => resolve());
      });
    }
    try {
      const task: WorkerTask = { module, plan, ...(channel ? { port: channel.port2 } : {}) };
      const result = (await pool.run(task, {
        signal: controller.signal,
        ...(channel ? { transferList: [channel.port2] } : {}),
      })) as ExecutionResult;
      await drained;
      return result;
    } catch (e) {
      const elapsed = performance.now() - started;
      if (reason === 'timeout')
        return failed(
          'timeout',
          `${plan.name}: timed out after ${plan.limits.maxExecutionTimeMs} ms; the worker was stopped`,
          elapsed,
        );
      if (reason === 'cancelled') return failed('cancelled', `${plan.name}: cancelled by the caller`, elapsed);
      return failed('unknown', `${plan.name}: the worker running the guest failed: ${(e as Error).message}`, elapsed);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCancel);
      channel?.port1.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
