/**
 * Execution benchmarks for @portalis/wassette-bridge on the js engine: per-run latency of a trivial
 * WASI command against a bare instance and node:wasi, a JSON call against the Extism JS SDK,
 * native C against the same C in wasm, throughput, and a 10,000-execution stability run.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import createPlugin, { type Plugin } from '@extism/extism';
import { type ComponentHandle, type ExecutionResult, WassetteClient } from '@portalis/wassette-bridge';
import { buildFixtures, watToWasm } from '../build-fixtures.mts';
import { buildKernel } from './c-kernel.mts';
import type { BenchSection } from './run.mts';
import { elapsedUs, median, met, mib, ms, p95, us, x } from './stats.mts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Trivial command: rounds x runs per contender, interleaved round by round. */
const HELLO_ROUNDS = 20;
const HELLO_RUNS = 200;
/** JSON call: rounds x calls per contender; creating an Extism plugin per call is slower, so fewer. */
const JSON_ROUNDS = 20;
const JSON_CALLS = 500;
const JSON_FRESH_CALLS = 40;
/** Off-thread JSON calls per round, ours pooled and Extism in its worker. */
const JSON_WORKER_CALLS = 100;
/** Native vs wasm: rounds of each kernel on each contender. */
const C_ROUNDS = 5;
const THROUGHPUT_RUNS = 4000;
const IN_FLIGHT = 64;
const STABILITY_RUNS = 10_000;
/** The stability run goes on to this many executions, sampling RSS every 10,000, to show where it settles. */
const LONG_RUNS = 100_000;

const HELLO_OUTPUT = 'hello from wasm\n';
const JSON_INPUT = { id: 42, name: 'portalis', tags: ['wasm', 'sandbox'], nested: { ok: true, ratio: 0.5 } };

function expectOk(label: string, r: ExecutionResult): ExecutionResult {
  if (!r.success) throw new Error(`${label}: execution failed: ${r.error?.message ?? `exit ${r.exitCode}`}`);
  return r;
}

function checkHello(label: string, r: ExecutionResult): void {
  expectOk(label, r);
  const out = new TextDecoder().decode(r.stdout);
  if (out !== HELLO_OUTPUT) throw new Error(`${label}: unexpected stdout ${JSON.stringify(out)}`);
}

// ---------------------------------------------------------------------------------------------
// the bare baseline: new WebAssembly.Instance with a stub fd_write, then _start

function bareRunner(module: WebAssembly.Module): () => number {
  return () => {
    let memory: WebAssembly.Memory | undefined;
    let written = 0;
    const fd_write = (_fd: number, iovs: number, count: number, nwritten: number): number => {
      const view = new DataView((memory as WebAssembly.Memory).buffer);
      let total = 0;
      for (let i = 0; i < count; i++) total += view.getUint32(iovs + i * 8 + 4, true);
      view.setUint32(nwritten, total, true);
      written += total;
      return 0;
    };
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: { fd_write } });
    memory = instance.exports.memory as WebAssembly.Memory;
    (instance.exports._start as () => void)();
    return written;
  };
}

// ---------------------------------------------------------------------------------------------
// node:wasi in a child process (it has crashed the process with SIGSEGV in long loops)

class NodeWasiChild {
  private child: ChildProcess | undefined;
  private pending: { resolve(v: number[] | undefined): void } | undefined;
  crashes: string[] = [];
  runs = 0;

  constructor(private readonly wasmPath: string) {}

  private async spawn(): Promise<ChildProcess> {
    const child = fork(join(here, 'exec-node-wasi.mjs'), [], {
      execArgv: ['--no-warnings'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (signal || code)
        this.crashes.push(signal ?? `exit ${code}${stderr ? `: ${stderr.trim().slice(0, 200)}` : ''}`);
      this.pending?.resolve(undefined);
      this.pending = undefined;
    });
    child.on('message', (m: { samples?: number[] }) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(m.samples ?? []);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', () => reject(new Error('node:wasi child exited before it was ready')));
      child.send({ wasm: this.wasmPath });
    });
    this.child = child;
    return child;
  }

  /** Per-run times in us, or undefined when the child died during the batch (it is restarted next time). */
  async batch(runs: number): Promise<number[] | undefined> {
    const child = this.child ?? (await this.spawn());
    const samples = await new Promise<number[] | undefined>((resolve) => {
      this.pending = { resolve };
      child.send({ runs });
    });
    if (samples) this.runs += samples.length;
    return samples;
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.send({ done: true });
  }
}

// ---------------------------------------------------------------------------------------------
// rows

interface HelloStats {
  bare: number[];
  inThread: number[];
  worker: number[];
  nodeWasi: number[];
  crashes: string[];
  nodeWasiRuns: number;
}

async function trivialCommand(client: WassetteClient, dir: string): Promise<HelloStats> {
  const path = join(dir, 'hello-wasi.wasm');
  const bytes = new Uint8Array(readFileSync(path));
  const bare = bareRunner(new WebAssembly.Module(bytes));
  const metered = await client.load(bytes, { limits: { fuel: 1e9 } });
  const plain = await client.load(bytes);
  const nodeWasi = new NodeWasiChild(path);
  const s: HelloStats = { bare: [], inThread: [], worker: [], nodeWasi: [], crashes: [], nodeWasiRuns: 0 };
  const contenders: Array<[keyof HelloStats, (runs: number, into: number[] | undefined) => Promise<void>]> = [
    [
      'bare',
      async (runs, into) => {
        for (let i = 0; i < runs; i++) {
          const t0 = process.hrtime.bigint();
          const n = bare();
          into?.push(elapsedUs(t0));
          if (n !== HELLO_OUTPUT.length) throw new Error('bare instance: wrong output length');
        }
      },
    ],
    [
      'inThread',
      async (runs, into) => {
        for (let i = 0; i < runs; i++) {
          const t0 = process.hrtime.bigint();
          const r = await client.execute(metered, { kind: 'command', isolation: 'in-thread' });
          into?.push(elapsedUs(t0));
          checkHello('in-thread', r);
        }
      },
    ],
    [
      'worker',
      async (runs, into) => {
        for (let i = 0; i < runs; i++) {
          const t0 = process.hrtime.bigint();
          const r = await client.execute(plain, { kind: 'command' });
          into?.push(elapsedUs(t0));
          checkHello('worker', r);
        }
      },
    ],
    [
      'nodeWasi',
      async (runs, into) => {
        const got = await nodeWasi.batch(runs);
        if (got) into?.push(...got);
      },
    ],
  ];
  for (const [, c] of contenders) await c(HELLO_RUNS, undefined); // warm-up: JIT, pool threads, child
  for (let r = 0; r < HELLO_ROUNDS; r++) for (const [key, c] of contenders) await c(HELLO_RUNS, s[key] as number[]);
  nodeWasi.close();
  s.crashes = nodeWasi.crashes;
  s.nodeWasiRuns = nodeWasi.runs;
  return s;
}

interface JsonStats {
  ours: number[];
  extism: number[];
  extismFresh: number[];
  /** Off the calling thread: ours on the worker pool, Extism with `runInWorker: true`. */
  oursPooled: number[];
  extismWorker: number[];
}

/** Extism with `runInWorker: true`, in a plain-Node child (see exec-extism-worker.mjs). */
async function extismWorkerChild(
  wasm: Uint8Array,
  input: string,
): Promise<{
  batch(calls: number): Promise<number[]>;
  close(): void;
}> {
  const child = fork(join(here, 'exec-extism-worker.mjs'), [], {
    execArgv: [], // plain Node: not the parent's tsx hooks
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const next = () =>
    new Promise<{ samples?: number[] }>((resolve, reject) => {
      const onExit = () => reject(new Error(`extism worker child exited: ${stderr.trim().slice(0, 300)}`));
      child.once('exit', onExit);
      child.once('message', (m: { samples?: number[] }) => {
        child.off('exit', onExit);
        resolve(m);
      });
    });
  const ready = next();
  child.send({ wasm: Buffer.from(wasm).toString('base64'), input });
  await ready;
  return {
    async batch(calls) {
      const reply = next();
      child.send({ calls });
      return (await reply).samples ?? [];
    },
    close() {
      if (child.connected) child.send({ done: true });
    },
  };
}

async function jsonCall(client: WassetteClient, dir: string): Promise<JsonStats> {
  const handle = await client.load(join(dir, 'guest-json.wasm'), { limits: { fuel: 1e9 } });
  const wat = readFileSync(join(here, 'extism-echo.wat'), 'utf8');
  const extismBytes = await watToWasm(wat, 'extism-echo.wat');
  const extismModule = await WebAssembly.compile(extismBytes as Uint8Array<ArrayBuffer>);
  const manifest = () => ({ wasm: [{ module: extismModule }] });
  const plugin: Plugin = await createPlugin(manifest(), { useWasi: false });
  const want = JSON.stringify(JSON_INPUT);
  const s: JsonStats = { ours: [], extism: [], extismFresh: [], oursPooled: [], extismWorker: [] };
  const worker = await extismWorkerChild(extismBytes, want);
  const oursPooled = async (calls: number, into: number[] | undefined) => {
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      const r = await client.execute(handle, { kind: 'json', name: 'echo', input: JSON_INPUT, isolation: 'worker' });
      into?.push(elapsedUs(t0));
      if (JSON.stringify(expectOk('json (pooled)', r).returnValue) !== want)
        throw new Error('ours (pooled): echo differs');
    }
  };
  const extismWorker = async (calls: number, into: number[] | undefined) => {
    const got = await worker.batch(calls);
    into?.push(...got);
  };
  const ours = async (calls: number, into: number[] | undefined) => {
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      const r = await client.execute(handle, { kind: 'json', name: 'echo', input: JSON_INPUT, isolation: 'in-thread' });
      into?.push(elapsedUs(t0));
      if (JSON.stringify(expectOk('json', r).returnValue) !== want) throw new Error('ours: echo differs');
    }
  };
  const extismCall = async (p: Plugin): Promise<unknown> => {
    const out = await p.call('echo', JSON.stringify(JSON_INPUT));
    return out?.json();
  };
  const extism = async (calls: number, into: number[] | undefined) => {
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      const got = await extismCall(plugin);
      into?.push(elapsedUs(t0));
      if (JSON.stringify(got) !== want) throw new Error('extism: echo differs');
    }
  };
  const extismFresh = async (calls: number, into: number[] | undefined) => {
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      const p = await createPlugin(manifest(), { useWasi: false });
      const got = await extismCall(p);
      await p.close();
      into?.push(elapsedUs(t0));
      if (JSON.stringify(got) !== want) throw new Error('extism (fresh plugin): echo differs');
    }
  };
  await ours(JSON_CALLS, undefined);
  await extism(JSON_CALLS, undefined);
  await extismFresh(JSON_FRESH_CALLS, undefined);
  await oursPooled(JSON_WORKER_CALLS, undefined);
  await extismWorker(JSON_WORKER_CALLS, undefined);
  for (let r = 0; r < JSON_ROUNDS; r++) {
    await ours(JSON_CALLS, s.ours);
    await extism(JSON_CALLS, s.extism);
    await extismFresh(JSON_FRESH_CALLS, s.extismFresh);
    await oursPooled(JSON_WORKER_CALLS, s.oursPooled);
    await extismWorker(JSON_WORKER_CALLS, s.extismWorker);
  }
  await plugin.close();
  worker.close();
  return s;
}

interface KernelRow {
  label: string;
  native: number[];
  plain: number[];
  metered: number[];
  /** The same kernels' own clocks (CLOCK_MONOTONIC around the computation), in ms. */
  nativeKernel: number[];
  plainKernel: number[];
  meteredKernel: number[];
  /** Kernel clock of the very first wasm run, before V8 tiered the module up from Liftoff. */
  coldKernel: number;
}

type CResult = { rows: KernelRow[] } | { skipped: string };

function parseKernel(label: string, out: string): { result: string; ms: number } {
  const m = /^(\S+) ([\d.]+)\n?$/.exec(out);
  if (!m) throw new Error(`${label}: unexpected output ${JSON.stringify(out)}`);
  return { result: m[1] as string, ms: Number(m[2]) };
}

async function nativeVsWasm(client: WassetteClient): Promise<CResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'portalis-exec-bench-'));
  try {
    const build = buildKernel(tmp);
    if ('skipped' in build) return { skipped: build.skipped };
    const { native, wasm } = build;
    const bytes = new Uint8Array(readFileSync(wasm));
    const plain = await client.load(bytes, { name: 'kernel' });
    const metered = await client.load(bytes, { name: 'kernel', limits: { fuel: 1e15 } });
    const kernels: Array<[string, string[]]> = [
      ['matmul 256x256 f64, 12 times', ['matmul', '256', '12']],
      ['CRC-32 of 4 MiB, 12 times', ['crc32', '4096', '12']],
    ];
    const rows: KernelRow[] = [];
    for (const [label, args] of kernels) {
      const row: KernelRow = {
        label,
        native: [],
        plain: [],
        metered: [],
        nativeKernel: [],
        plainKernel: [],
        meteredKernel: [],
        coldKernel: 0,
      };
      const runNative = () => {
        const t0 = performance.now();
        const out = execFileSync(native, args, { encoding: 'utf8' });
        return { wall: performance.now() - t0, ...parseKernel(`native ${label}`, out) };
      };
      const runWasm = async (h: ComponentHandle) => {
        const t0 = performance.now();
        const r = expectOk(`wasm ${label}`, await client.execute(h, { kind: 'command', args }));
        return { wall: performance.now() - t0, ...parseKernel(`wasm ${label}`, new TextDecoder().decode(r.stdout)) };
      };
      const want = runNative().result; // warm-up, and the reference result
      for (const h of [plain, metered]) {
        const first = await runWasm(h);
        if (first.result !== want) throw new Error(`${label}: wasm computed ${first.result}, native ${want}`);
        if (h === plain) row.coldKernel = first.ms;
      }
      for (let r = 0; r < C_ROUNDS; r++) {
        const n = runNative();
        row.native.push(n.wall);
        row.nativeKernel.push(n.ms);
        const p = await runWasm(plain);
        row.plain.push(p.wall);
        row.plainKernel.push(p.ms);
        const m = await runWasm(metered);
        row.metered.push(m.wall);
        row.meteredKernel.push(m.ms);
      }
      rows.push(row);
    }
    return { rows };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Throughput {
  workerPerSec: number;
  inThreadPerSec: number;
  barePerSec: number;
}

async function throughput(client: WassetteClient, dir: string): Promise<Throughput> {
  const bytes = new Uint8Array(readFileSync(join(dir, 'hello-wasi.wasm')));
  const plain = await client.load(bytes);
  const metered = await client.load(bytes, { limits: { fuel: 1e9 } });
  // Worker pool: a sliding window of IN_FLIGHT executions.
  const pooled = async (total: number) => {
    let next = 0;
    const lane = async () => {
      while (next < total) {
        next++;
        checkHello('throughput, worker', await client.execute(plain, { kind: 'command' }));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  };
  const inThread = async (total: number) => {
    for (let i = 0; i < total; i++)
      checkHello('throughput, in-thread', await client.execute(metered, { kind: 'command', isolation: 'in-thread' }));
  };
  const bare = bareRunner(new WebAssembly.Module(bytes));
  const bareLoop = async (total: number) => {
    for (let i = 0; i < total; i++) if (bare() !== HELLO_OUTPUT.length) throw new Error('bare: wrong output');
  };
  await pooled(500);
  await inThread(500);
  await bareLoop(500);
  let t0 = performance.now();
  await pooled(THROUGHPUT_RUNS);
  const workerPerSec = THROUGHPUT_RUNS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await inThread(THROUGHPUT_RUNS);
  const inThreadPerSec = THROUGHPUT_RUNS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await bareLoop(THROUGHPUT_RUNS);
  const barePerSec = THROUGHPUT_RUNS / ((performance.now() - t0) / 1000);
  return { workerPerSec, inThreadPerSec, barePerSec };
}

interface Stability {
  runs: number;
  failures: number;
  rssAfter100: number;
  rssHalfway: number;
  rssAfterAll: number;
  /** RSS after each further 10,000 executions, up to LONG_RUNS. */
  rssLater: number[];
  seconds: number;
}

/** 10,000 executions in chunks of 100: 50 in-thread one after another, then 50 pooled at once. */
async function stability(client: WassetteClient, dir: string): Promise<Stability> {
  const bytes = new Uint8Array(readFileSync(join(dir, 'hello-wasi.wasm')));
  const plain = await client.load(bytes);
  const metered = await client.load(bytes, { limits: { fuel: 1e9 } });
  const json = await client.load(join(dir, 'guest-json.wasm'), { limits: { fuel: 1e9 } });
  let failures = 0;
  const count = (r: ExecutionResult) => {
    if (!r.success) failures++;
  };
  let rssAfter100 = 0;
  let rssHalfway = 0;
  const t0 = performance.now();
  const chunk = async () => {
    for (let i = 0; i < 50; i++)
      count(
        i % 2
          ? await client.execute(metered, { kind: 'command', isolation: 'in-thread' })
          : await client.execute(json, { kind: 'json', name: 'echo', input: JSON_INPUT, isolation: 'in-thread' }),
      );
    (await Promise.all(Array.from({ length: 50 }, () => client.execute(plain, { kind: 'command' })))).forEach(count);
  };
  for (let done = 0; done < STABILITY_RUNS; done += 100) {
    await chunk();
    if (done === 0) rssAfter100 = process.memoryUsage.rss();
    if (done + 100 === STABILITY_RUNS / 2) rssHalfway = process.memoryUsage.rss();
  }
  const rssAfterAll = process.memoryUsage.rss();
  const seconds = (performance.now() - t0) / 1000;
  const rssLater: number[] = [];
  for (let done = STABILITY_RUNS; done < LONG_RUNS; done += 100) {
    await chunk();
    if ((done + 100) % 10_000 === 0) rssLater.push(process.memoryUsage.rss());
  }
  return { runs: STABILITY_RUNS, failures, rssAfter100, rssHalfway, rssAfterAll, rssLater, seconds };
}

// ---------------------------------------------------------------------------------------------

export async function run(): Promise<BenchSection> {
  const dir = await buildFixtures();
  const client = new WassetteClient({ workers: { maxWorkers: 2, minWorkers: 2 } });
  let hello: HelloStats;
  let json: JsonStats;
  let c: CResult;
  let tp: Throughput;
  let st: Stability;
  try {
    console.log('  trivial command ...');
    hello = await trivialCommand(client, dir);
    console.log('  JSON call ...');
    json = await jsonCall(client, dir);
    console.log('  native C vs wasm ...');
    c = await nativeVsWasm(client);
    console.log('  throughput ...');
    tp = await throughput(client, dir);
    console.log('  stability ...');
    st = await stability(client, dir);
  } finally {
    await client.close();
  }

  const bare = median(hello.bare);
  const inThread = median(hello.inThread);
  const worker = median(hello.worker);
  const nodeWasi = hello.nodeWasi.length ? median(hello.nodeWasi) : Number.NaN;
  const nodeWasiCell = hello.nodeWasi.length
    ? `node:wasi ${us(nodeWasi)} (p95 ${us(p95(hello.nodeWasi))})`
    : 'node:wasi: no run finished';
  const crashNote = hello.crashes.length
    ? `**node:wasi crashed ${hello.crashes.length} time(s)** (${hello.crashes.join(', ')}) in ${hello.nodeWasiRuns.toLocaleString('en')} completed runs; the child was restarted.`
    : `node:wasi did not crash in ${hello.nodeWasiRuns.toLocaleString('en')} runs (warm-up included) this time.`;
  const oursJson = median(json.ours);
  const extism = median(json.extism);
  const extismFresh = median(json.extismFresh);
  const oursPooledJson = median(json.oursPooled);
  const extismWorker = median(json.extismWorker);
  const rssRatio = st.rssAfterAll / st.rssAfter100;

  const rows = [
    `| trivial WASI command (hello-wasi), per run | ${us(inThread)} (p95 ${us(p95(hello.inThread))}) | ${us(worker)} (p95 ${us(p95(hello.worker))}) | bare instance ${us(bare)} (p95 ${us(p95(hello.bare))}) | in-thread ${x(inThread / bare)}, pooled ${x(worker / bare)} | in-thread <= 150 us and <= 2x bare; pooled <= 1 ms | in-thread <= 150 us: ${met(inThread <= 150)}, <= 2x bare: ${met(inThread <= 2 * bare)}; pooled: ${met(worker <= 1000)} |`,
    `| same, against node:wasi | ${us(inThread)} | ${us(worker)} | ${nodeWasiCell} | in-thread ${x(inThread / nodeWasi)}, pooled ${x(worker / nodeWasi)} | (for scale) | ${hello.crashes.length ? `node:wasi crashed ${hello.crashes.length}x` : 'n/a'} |`,
    `| JSON call, echo of a ${JSON.stringify(JSON_INPUT).length}-byte object | ${us(oursJson)} (p95 ${us(p95(json.ours))}) | - | Extism JS SDK, one plugin: ${us(extism)} (p95 ${us(p95(json.extism))}) | Extism / ours ${x(extism / oursJson)} | <= 20 us; >= 5x faster than Extism | <= 20 us: ${met(oursJson <= 20)}; 5x Extism: ${met(extism / oursJson >= 5)} |`,
    `| same, Extism with a fresh plugin per call | ${us(oursJson)} | - | ${us(extismFresh)} | Extism / ours ${x(extismFresh / oursJson)} | (for scale) | n/a |`,
    `| same, off the calling thread: ours pooled, Extism \`runInWorker: true\` | - | ${us(oursPooledJson)} (p95 ${us(p95(json.oursPooled))}) | ${us(extismWorker)} (p95 ${us(p95(json.extismWorker))}) | Extism / ours ${x(extismWorker / oursPooledJson)} | (for scale) | n/a |`,
  ];
  if ('rows' in c) {
    for (const k of c.rows) {
      const n = median(k.native);
      const p = median(k.plain);
      const m = median(k.metered);
      const nk = median(k.nativeKernel);
      const pk = median(k.plainKernel);
      const mk = median(k.meteredKernel);
      rows.push(
        `| C ${k.label}: wall / kernel clock | - | ${ms(p)} / ${ms(pk)}; fuel ${ms(m)} / ${ms(mk)}; first run ${ms(k.coldKernel)} kernel | gcc -O2 native ${ms(n)} / ${ms(nk)} | wall ${x(p / n)} (fuel ${x(m / n)}); kernel ${x(pk / nk)} (fuel ${x(mk / nk)}) | report only (wasmtime later: <= 1.3x) | n/a |`,
      );
    }
  } else {
    rows.push(`| C kernel, native vs wasm | skipped | skipped | skipped | - | report only | skipped: ${c.skipped} |`);
  }
  rows.push(
    `| throughput, trivial command | ${Math.round(tp.inThreadPerSec).toLocaleString('en')}/s (one after another) | ${Math.round(tp.workerPerSec).toLocaleString('en')}/s (${IN_FLIGHT} in flight, 2 workers) | bare instance ${Math.round(tp.barePerSec).toLocaleString('en')}/s (one after another) | in-thread ${x(tp.barePerSec / tp.inThreadPerSec)} the bare time per run | >= 2,000/s | in-thread: ${met(tp.inThreadPerSec >= 2000)}; pooled: ${met(tp.workerPerSec >= 2000)} |`,
    `| stability: ${st.runs.toLocaleString('en')} mixed executions in ${st.seconds.toFixed(1)} s | half | half | - | RSS ${mib(st.rssAfter100)} after 100, ${mib(st.rssHalfway)} after ${(st.runs / 2).toLocaleString('en')}, ${mib(st.rssAfterAll)} after ${st.runs.toLocaleString('en')}: ${x(rssRatio)} | no crash, no failure; RSS within 10% | ${met(st.failures === 0)} (${st.failures} failed); RSS ${met(rssRatio <= 1.1 && rssRatio >= 0.9)} |`,
    `| same run continued to ${LONG_RUNS.toLocaleString('en')} executions | half | half | - | RSS at each further 10,000: ${st.rssLater.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB; last / after 100: ${x((st.rssLater.at(-1) ?? 0) / st.rssAfter100)}, highest / after 100: ${x(Math.max(...st.rssLater) / st.rssAfter100)} | (for scale: a leak climbs, garbage collection saws) | n/a |`,
  );

  const cNote =
    'rows' in c
      ? 'The C rows build tools/bench/exec-kernel.c at bench time with `gcc -O2` and Debian\'s `clang -O2 --target=wasm32-wasi` (wasi-libc; without binaryen\'s wasm-opt, see the engines section) and run the wasm as a WASI command on a pooled worker, unmetered and metered (fuel 1e15). "wall" is the whole execution (process start for native; instantiate, run, capture for wasm), "kernel" is the program\'s own CLOCK_MONOTONIC around its computation; the medians are of warm runs. "First run" is the very first execution of the freshly loaded module: V8 starts wasm in its Liftoff baseline code and tiers hot functions up to TurboFan for later calls only, so a long first `_start` runs entirely in Liftoff. The wasm build has no SIMD (no `-msimd128`). Fuel overhead on the AssemblyScript kernel is in the fuel section.'
      : `The C rows were skipped: ${c.skipped}.`;

  return {
    title: 'Execution: wassette-bridge js engine vs bare V8, node:wasi, Extism and native',
    markdown: [
      `Side by side in one process, after a warm-up of each contender. Trivial command: ${HELLO_ROUNDS} interleaved rounds of ${HELLO_RUNS} runs per contender; each run is one \`execute\` awaited before the next (latency, not throughput), median and p95. "Ours in-thread" runs the hello-wasi module loaded with \`limits.fuel\` (metered, which in-thread requires); "ours pooled" runs it unmetered on the 2-thread worker pool. The baseline is a bare \`new WebAssembly.Instance\` of the uninstrumented module with a stub \`fd_write\`, then \`_start\`. node:wasi (\`new WASI\` + instance + \`start\` per run, stdout to /dev/null) runs in a child process, because it has crashed the process with SIGSEGV in long loops; ${crashNote}`,
      '',
      `JSON call: our in-thread \`kind: 'json'\` call on guest-json.wasm creates a **fresh instance per call** (the isolation design), while the Extism JS SDK (@extism/extism 1.0.3, foreground, no WASI) calls \`plugin.call('echo', json)\` on **one plugin created once** and reused; both include JSON.stringify of the input and parsing of the output. The Extism plugin is tools/bench/extism-echo.wat, built at bench time; it copies its input with \`input_load_u64\`/\`store_u64\` into an \`alloc\`ed block and \`output_set\`s it. A fresh-plugin-per-call Extism row is shown for scale, and an off-thread row: ours on the worker pool (\`isolation: 'worker'\`, a fresh instance per call on a pooled thread) against Extism's \`runInWorker: true\` (one plugin on its own worker thread; measured in a plain-Node child, tools/bench/exec-extism-worker.mjs, because the SDK starts that worker from a data: URL that tsx's source-map hook rejects). ${JSON_ROUNDS} interleaved rounds of ${JSON_CALLS} calls (${JSON_FRESH_CALLS} for fresh plugins, ${JSON_WORKER_CALLS} off-thread).`,
      '',
      `${cNote} Throughput: ${THROUGHPUT_RUNS.toLocaleString('en')} trivial executions after 500 warm-up; unlike the per-run medians above, which leave out the occasional garbage collection, it includes the cost of collecting and unmapping each run's linear memory, for the bare instance too. Stability: ${STABILITY_RUNS.toLocaleString('en')} executions in chunks of 100 (25 in-thread commands and 25 in-thread JSON calls in sequence, then 50 pooled commands at once), RSS of the whole process (worker threads included).`,
      '',
      '| case | ours in-thread | ours pooled | baseline | ratio | target | met? |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}
