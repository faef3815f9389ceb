import { HostDirectory, WasiConfigError, WasiExit, WasiHost, type WasiHostOptions } from '@portalis/wasi';
import { FUEL_EXPORT, GROW_FAILURES_EXPORT, POOLED_MEMORY_SECTION, type PooledMemory } from '@portalis/wasm-binary';
import { BridgeError } from '../../errors.js';
import { parseJsonReply } from '../../execute/json-reply.js';
import type { ExecutionResult } from '../../execute/types.js';
import type { ImportInfo } from '../../validate/report.js';
import type { OutputSinks, RunPlan } from '../engine.js';
import { nativeLister } from './native-listing.js';
import { classifyTrap, OutputLimitReached } from './traps.js';

const WASI = 'wasi_snapshot_preview1';
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** `(memory 1 16 shared)` -> its limits. */
function memoryLimits(type: string): { initial: number; maximum: number | undefined; shared: boolean } {
  const m = /\(memory\s+(\d+)(?:\s+(\d+))?(\s+shared)?/.exec(type);
  return { initial: Number(m?.[1] ?? 0), maximum: m?.[2] === undefined ? undefined : Number(m[2]), shared: !!m?.[3] };
}

/**
 * Memories kept for reuse on this thread. The loader turns a module's own memory into an import
 * (`importDefinedMemory`); each run takes a memory of the module's limits from here and gives it
 * back zeroed when the run is over, unless it grew. V8 reserves, guards and later frees a fresh
 * memory at a cost of several microseconds; zeroing a small one costs well under one, and
 * instantiation writes the data segments again, so the guest sees exactly what a fresh memory
 * would show it. A zeroed memory holds nothing of the run before, so memories of the same limits
 * serve every module (worker threads receive a new module object with each task).
 */
const pools = new Map<string, WebAssembly.Memory[]>();
/** Memories kept per limits: runs on one thread are sequential, a second covers one nested run. */
const POOL_DEPTH = 2;
/** Distinct limits kept at once (the oldest go first); the loader pools memories of 16 pages or fewer, so at most 2 x 8 x 1 MiB per thread. */
const POOL_KINDS = 8;
const specs = new WeakMap<WebAssembly.Module, PooledMemory | null>();
const utf8 = new TextDecoder();

function pooledSpec(module: WebAssembly.Module, plan: RunPlan): PooledMemory | null {
  let spec = specs.get(module);
  if (spec !== undefined) return spec;
  spec = null;
  const [section] = WebAssembly.Module.customSections(module, POOLED_MEMORY_SECTION);
  if (section) {
    const found = JSON.parse(utf8.decode(section)) as PooledMemory;
    // The loader writes this section (and drops any of the same name that came with the module);
    // an import the module itself declares is never taken for the pooled one.
    const declared = plan.imports.some((i) => i.module === found.module && i.name === found.name);
    if (!declared && Number.isInteger(found.initial) && Number.isInteger(found.maximum)) spec = found;
  }
  specs.set(module, spec);
  return spec;
}

const poolKey = (spec: PooledMemory): string => `${spec.initial}:${spec.maximum}`;

function takeMemory(spec: PooledMemory): WebAssembly.Memory {
  return pools.get(poolKey(spec))?.pop() ?? new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum });
}

/** Called once no guest code can run on `memory` again. */
function giveBack(spec: PooledMemory, memory: WebAssembly.Memory): void {
  const bytes = memory.buffer;
  if (bytes.byteLength !== spec.initial * 65536) return; // it grew: a fresh one must start small again
  const key = poolKey(spec);
  let free = pools.get(key);
  if (!free) {
    if (pools.size >= POOL_KINDS) pools.delete(pools.keys().next().value as string);
    free = [];
    pools.set(key, free);
  }
  if (free.length >= POOL_DEPTH) return;
  new Uint8Array(bytes).fill(0);
  free.push(memory);
}

/** Memories of these limits waiting for reuse on this thread (for tests). */
export function pooledMemories(initial: number, maximum: number): readonly WebAssembly.Memory[] {
  return pools.get(`${initial}:${maximum}`) ?? [];
}

interface Linked {
  imports: WebAssembly.Imports;
  host: WasiHost | undefined;
  memories: WebAssembly.Memory[];
  /** The pooled memory this run took, and its limits. */
  pooled?: { spec: PooledMemory; memory: WebAssembly.Memory };
}

function link(module: WebAssembly.Module, plan: RunPlan, sinks: OutputSinks): Linked {
  const needsWasi = plan.imports.some((i) => i.module === WASI);
  let host: WasiHost | undefined;
  if (needsWasi || plan.request.kind === 'command') {
    const { request, limits } = plan;
    let total = 0;
    // Streams see exactly what the captures keep: the part of a write that crosses the limit is
    // cut, then the guest is unwound. `onWrite` hands over a view of guest memory, copied only
    // when it is forwarded (most runs have no stream).
    const counter = (forward: ((c: Uint8Array) => void) | undefined) => (view: Uint8Array) => {
      const room = limits.maxOutputBytes - total;
      total += view.length;
      if (forward && room > 0) forward(view.slice(0, Math.min(room, view.length)));
      if (total > limits.maxOutputBytes) throw new OutputLimitReached(limits.maxOutputBytes);
    };
    const options: WasiHostOptions = {
      args: [plan.name, ...(request.kind === 'command' ? (request.args ?? []) : [])],
      env: Object.fromEntries(plan.env),
      stdin: request.kind === 'command' ? request.stdin : undefined,
      stdout: { maxBytes: limits.maxOutputBytes, onWrite: counter(sinks.stdout) },
      stderr: { maxBytes: limits.maxOutputBytes, onWrite: counter(sinks.stderr) },
      preopens: plan.permissions.allowFs
        ? plan.permissions.allowedPaths.map((p) => ({
            guestPath: p.guestPath,
            backend: new HostDirectory(p.hostPath, { lister: nativeLister() }),
            readOnly: p.readOnly,
          }))
        : [],
      deterministic: plan.deterministic === false ? undefined : plan.deterministic,
    };
    try {
      host = new WasiHost(options);
    } catch (e) {
      if (e instanceof WasiConfigError)
        throw new BridgeError('permission-denied', `${plan.name}: a grant could not be set up: ${e.message}`, {
          cause: e,
        });
      throw e;
    }
  }
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  const memories: WebAssembly.Memory[] = [];
  for (const imp of plan.imports as ImportInfo[]) {
    imports[imp.module] ??= {};
    const ns = imports[imp.module] as Record<string, WebAssembly.ImportValue>;
    if (imp.module === WASI && imp.kind === 'func' && host) {
      const fn = (host.imports.wasi_snapshot_preview1 as Record<string, unknown>)[imp.name];
      if (typeof fn === 'function') {
        ns[imp.name] = fn as WebAssembly.ImportValue;
        continue;
      }
    } else if (imp.kind === 'memory') {
      // Created at the cap, which the loader also wrote into the import's declared maximum.
      const { initial, maximum, shared } = memoryLimits(imp.type);
      const capPages = Math.floor(plan.limits.maxMemoryBytes / 65536);
      const memory = new WebAssembly.Memory({
        initial,
        maximum: Math.min(maximum ?? capPages, capPages),
        shared,
      } as WebAssembly.MemoryDescriptor);
      memories.push(memory);
      ns[imp.name] = memory;
      continue;
    }
    throw new BridgeError(
      'link',
      `${plan.name} imports ${imp.module}.${imp.name} (${imp.kind}), which the sandbox does not provide`,
      {
        details: { module: imp.module, name: imp.name },
      },
    );
  }
  const spec = pooledSpec(module, plan);
  if (!spec) return { imports, host, memories };
  const memory = takeMemory(spec);
  imports[spec.module] ??= {};
  (imports[spec.module] as Record<string, WebAssembly.ImportValue>)[spec.name] = memory;
  memories.push(memory);
  return { imports, host, memories, pooled: { spec, memory } };
}

function fuelLeft(instance: WebAssembly.Instance | undefined): bigint | undefined {
  const g = instance?.exports[FUEL_EXPORT];
  return g instanceof WebAssembly.Global ? (g.value as bigint) : undefined;
}

function memoryBytes(instance: WebAssembly.Instance | undefined, imported: WebAssembly.Memory[]): number {
  const seen = new Set<WebAssembly.Memory>(imported);
  for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) seen.add(v);
  let total = 0;
  for (const m of seen) total += m.buffer.byteLength;
  return total;
}

/** Calls the plugin protocol: alloc, write the JSON input, call, read the JSON output. */
function jsonCall(instance: WebAssembly.Instance, plan: RunPlan & { request: { kind: 'json' } }): unknown {
  const { request, name } = plan;
  // makePlan checked that memory, alloc and the function are exported with the protocol's types.
  const memory = instance.exports.memory as WebAssembly.Memory;
  const alloc = instance.exports[request.allocExport ?? 'alloc'] as (n: number) => number;
  const fn = instance.exports[request.name] as (p: number, n: number) => unknown;
  const input = encoder.encode(request.inputJson);
  const inPtr = alloc(input.length) >>> 0;
  if (inPtr + input.length > memory.buffer.byteLength)
    throw new BridgeError(
      'trap',
      `${name}: alloc(${input.length}) returned ${inPtr}, which is outside the guest's memory`,
      {
        code: 'protocol-error',
      },
    );
  new Uint8Array(memory.buffer, inPtr, input.length).set(input);
  const out = fn(inPtr, input.length);
  let ptr: number;
  let len: number;
  if (typeof out === 'bigint') {
    const u = BigInt.asUintN(64, out);
    ptr = Number(u >> 32n);
    len = Number(u & 0xffffffffn);
  } else if (Array.isArray(out) && out.length === 2) {
    ptr = (out[0] as number) >>> 0;
    len = (out[1] as number) >>> 0;
  } else {
    throw new BridgeError(
      'trap',
      `${name}: ${request.name} must return (ptr, len) or one i64; it returned ${String(out)}`,
      {
        code: 'protocol-error',
      },
    );
  }
  const size = memory.buffer.byteLength;
  if (ptr + len > size)
    throw new BridgeError(
      'trap',
      `${name}: ${request.name} returned bytes ${ptr}..${ptr + len}, outside the guest's ${size}-byte memory`,
      { code: 'protocol-error', details: { ptr, len, memoryBytes: size } },
    );
  return parseJsonReply(new Uint8Array(memory.buffer, ptr, len), name, request.name);
}

/**
 * Runs one plan on a fresh instance of `module`, on the calling thread. Guest failures (traps,
 * limits, bad protocol output) come back in the result; only a broken plan throws.
 */
export function runPlan(module: WebAssembly.Module, plan: RunPlan, sinks: OutputSinks = {}): ExecutionResult {
  const started = performance.now();
  const budget = plan.metered ? BigInt(plan.limits.fuel ?? Number.MAX_SAFE_INTEGER) : undefined;
  let linked: Linked | undefined;
  let instance: WebAssembly.Instance | undefined;
  let exitCode: number | undefined;
  let returnValue: unknown;
  let error: BridgeError | undefined;
  try {
    linked = link(module, plan, sinks);
    instance = new WebAssembly.Instance(module, linked.imports);
    const fuel = instance.exports[FUEL_EXPORT];
    if (budget !== undefined && fuel instanceof WebAssembly.Global) fuel.value = budget;
    const { request } = plan;
    const host = linked.host;
    if (request.kind === 'command') {
      exitCode = (host as WasiHost).start(instance);
    } else {
      if (host && instance.exports.memory instanceof WebAssembly.Memory) host.initialize(instance);
      try {
        if (request.kind === 'function') {
          // makePlan checked the export and its arguments against the module's type.
          const fn = instance.exports[request.name] as (...a: unknown[]) => unknown;
          const out = fn(...(request.args ?? []));
          returnValue = out === undefined ? [] : Array.isArray(out) ? out : [out];
        } else {
          returnValue = jsonCall(instance, plan as RunPlan & { request: { kind: 'json' } });
        }
      } catch (e) {
        if (!(e instanceof WasiExit)) throw e;
        exitCode = e.exitCode;
      } finally {
        host?.close();
      }
    }
  } catch (e) {
    const left = fuelLeft(instance);
    error = classifyTrap(e, {
      name: plan.name,
      outOfFuel: left !== undefined && left < 0n,
      fuel: plan.limits.fuel,
    });
    linked?.host?.close();
  }
  const executionTimeMs = performance.now() - started;
  const left = fuelLeft(instance);
  const grows = instance?.exports[GROW_FAILURES_EXPORT];
  const out = linked?.host?.stdout;
  const err = linked?.host?.stderr;
  const memoryUsedBytes = memoryBytes(instance, linked?.memories ?? []);
  // Output, results and fuel are read; nothing refers to the instance's memory any more.
  if (linked?.pooled) giveBack(linked.pooled.spec, linked.pooled.memory);
  return {
    success: error === undefined && (exitCode === undefined || exitCode === 0),
    exitCode,
    stdout: out?.bytes ?? EMPTY,
    stderr: err?.bytes ?? EMPTY,
    outputBytes: (out?.totalBytes ?? 0) + (err?.totalBytes ?? 0),
    returnValue,
    executionTimeMs,
    memoryUsedBytes,
    memoryGrowFailures: grows instanceof WebAssembly.Global ? (grows.value as number) : 0,
    fuelConsumed: budget === undefined || left === undefined ? undefined : Number(left < 0n ? budget : budget - left),
    trap: error?.code,
    error: error?.toJSON(),
  };
}
