/**
 * The js and wasmtime engines side by side through the same `WassetteClient` API: a trivial WASI
 * command and a JSON call from a loaded handle, C kernels against native, loading a 1 MiB module
 * cold and from each engine's disk cache, fuel overhead, throughput, and 10,000 executions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ComponentHandle, type ExecutionResult, WassetteClient } from '@portalis/wassette-bridge';
import { buildFixtures } from '../build-fixtures.mts';
import { buildKernel } from './c-kernel.mts';
import type { BenchSection } from './run.mts';
import { elapsedUs, median, met, mib, ms, p95, us, x } from './stats.mts';
import { syntheticModule } from './synthetic.mts';

const ROUNDS = 10;
const RUNS = 200;
const C_ROUNDS = 5;
const LOAD_ROUNDS = 7;
const THROUGHPUT_RUNS = 4000;
const IN_FLIGHT = 64;
const STABILITY_RUNS = 10_000;
const JSON_INPUT = { id: 42, name: 'portalis', tags: ['wasm', 'sandbox'], nested: { ok: true, ratio: 0.5 } };

function ok(label: string, r: ExecutionResult): ExecutionResult {
  if (!r.success) throw new Error(`${label}: ${r.error?.message ?? `exit ${r.exitCode}`}`);
  return r;
}

type Contender = { label: string; run: () => Promise<void> };

/** Per-call latency of each contender, interleaved round by round after a warm-up. */
async function latency(contenders: Contender[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(contenders.map((c) => [c.label, []]));
  for (const c of contenders) for (let i = 0; i < RUNS; i++) await c.run();
  for (let r = 0; r < ROUNDS; r++)
    for (const c of contenders) {
      const into = out.get(c.label) as number[];
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        await c.run();
        into.push(elapsedUs(t0));
      }
    }
  return out;
}

const cell = (xs: number[]) => `${us(median(xs))} (p95 ${us(p95(xs))})`;

interface Clients {
  js: WassetteClient;
  wt: WassetteClient;
}

async function trivial({ js, wt }: Clients, dir: string): Promise<string[]> {
  const path = join(dir, 'hello-wasi.wasm');
  const jsPlain = await js.load(path);
  const jsMetered = await js.load(path, { limits: { fuel: 1e9 } });
  const wtPlain = await wt.load(path);
  const want = 'hello from wasm\n';
  const check = (label: string, r: ExecutionResult) => {
    if (new TextDecoder().decode(ok(label, r).stdout) !== want) throw new Error(`${label}: wrong output`);
  };
  const t = await latency([
    { label: 'js pooled', run: async () => check('js pooled', await js.execute(jsPlain, { kind: 'command' })) },
    {
      label: 'js in-thread',
      run: async () => check('js in-thread', await js.execute(jsMetered, { kind: 'command', isolation: 'in-thread' })),
    },
    { label: 'wasmtime', run: async () => check('wasmtime', await wt.execute(wtPlain, { kind: 'command' })) },
  ]);
  const w = median(t.get('wasmtime') as number[]);
  const pooled = median(t.get('js pooled') as number[]);
  const inThread = median(t.get('js in-thread') as number[]);
  const jsonJs = await js.load(join(dir, 'guest-json.wasm'), { limits: { fuel: 1e9 } });
  const jsonWt = await wt.load(join(dir, 'guest-json.wasm'));
  const call = { kind: 'json', name: 'echo', input: JSON_INPUT } as const;
  const j = await latency([
    { label: 'js', run: async () => void ok('json js', await js.execute(jsonJs, { ...call, isolation: 'in-thread' })) },
    { label: 'wasmtime', run: async () => void ok('json wasmtime', await wt.execute(jsonWt, call)) },
  ]);
  const jw = median(j.get('wasmtime') as number[]);
  const jj = median(j.get('js') as number[]);
  return [
    `| trivial WASI command (hello-wasi) from a loaded handle, per run | pooled ${cell(t.get('js pooled') as number[])}; in-thread ${cell(t.get('js in-thread') as number[])} | ${cell(t.get('wasmtime') as number[])} | - | wasmtime / js pooled ${x(w / pooled)}, / js in-thread ${x(w / inThread)} | wasmtime <= 100 us including the napi call | ${met(w <= 100)} |`,
    `| JSON call, echo of a ${JSON.stringify(JSON_INPUT).length}-byte object | in-thread ${cell(j.get('js') as number[])} | ${cell(j.get('wasmtime') as number[])} | - | wasmtime / js ${x(jw / jj)} | (report) | n/a |`,
  ];
}

function parseKernel(label: string, out: string): { result: string; ms: number } {
  const m = /^(\S+) ([\d.]+)\n?$/.exec(out);
  if (!m) throw new Error(`${label}: unexpected output ${JSON.stringify(out)}`);
  return { result: m[1] as string, ms: Number(m[2]) };
}

async function kernels({ js, wt }: Clients): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'portalis-engines-bench-'));
  try {
    const build = buildKernel(tmp);
    if ('skipped' in build)
      return [`| C kernels | skipped | skipped | - | - | <= 1.3x native | skipped: ${build.skipped} |`];
    const rows: string[] = [];
    const variants: Array<[string, string | undefined]> = [
      ['', build.wasm],
      [`; clang + binaryen \`wasm-opt -O2\``, build.optimized],
    ];
    for (const [suffix, file] of variants) {
      if (!file) {
        rows.push(`| C kernels${suffix} | skipped | skipped | - | - | (report) | skipped: ${build.optimizedSkipped} |`);
        continue;
      }
      const target = suffix === '';
      const bytes = new Uint8Array(readFileSync(file));
      const handles: Array<[string, WassetteClient, ComponentHandle]> = [
        ['js', js, await js.load(bytes, { name: 'kernel' })],
        ['wasmtime', wt, await wt.load(bytes, { name: 'kernel' })],
        ['wasmtime fuel', wt, await wt.load(bytes, { name: 'kernel', limits: { fuel: 1e15 } })],
      ];
      for (const [label, args] of [
        ['matmul 256x256 f64, 12 times', ['matmul', '256', '12']],
        ['CRC-32 of 4 MiB, 12 times', ['crc32', '4096', '12']],
      ] as const) {
        const want = parseKernel('native', execFileSync(build.native, args, { encoding: 'utf8' })).result;
        const times = new Map<string, number[]>([
          ['native', []],
          ...handles.map(([n]) => [n, []] as [string, number[]]),
        ]);
        for (const [name, client, h] of handles) {
          const r = ok(name, await client.execute(h, { kind: 'command', args: [...args] }));
          if (parseKernel(name, new TextDecoder().decode(r.stdout)).result !== want)
            throw new Error(`${name}: result differs`);
        }
        for (let r = 0; r < C_ROUNDS; r++) {
          times.get('native')?.push(parseKernel('native', execFileSync(build.native, args, { encoding: 'utf8' })).ms);
          for (const [name, client, h] of handles) {
            const res = ok(name, await client.execute(h, { kind: 'command', args: [...args] }));
            times.get(name)?.push(parseKernel(name, new TextDecoder().decode(res.stdout)).ms);
          }
        }
        const n = median(times.get('native') as number[]);
        const j = median(times.get('js') as number[]);
        const w = median(times.get('wasmtime') as number[]);
        const f = median(times.get('wasmtime fuel') as number[]);
        rows.push(
          `| C ${label}, kernel clock${suffix} | ${ms(j)} (${x(j / n)} native) | ${ms(w)} (${x(w / n)} native); with fuel ${ms(f)} (${x(f / n)}) | gcc -O2 native ${ms(n)} | wasmtime / native ${x(w / n)}; fuel overhead ${(((f - w) / w) * 100).toFixed(1)}% | ${target ? 'wasmtime within 1.3x native C' : '(report)'} | ${target ? met(w / n <= 1.3) : 'n/a'} |`,
        );
      }
    }
    return rows;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Loading a 1 MiB module: a cold compile versus a new client served by each engine's disk cache. */
async function loading(): Promise<string[]> {
  const bytes = syntheticModule(1024 * 1024);
  const rows: string[] = [];
  for (const engine of ['js', 'wasmtime'] as const) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < LOAD_ROUNDS; r++) {
      const cacheDir = mkdtempSync(join(tmpdir(), 'portalis-load-bench-'));
      try {
        const a = new WassetteClient({ engine, cacheDir });
        let t0 = performance.now();
        const first = await a.load(bytes, { name: 'big.wasm' });
        cold.push(performance.now() - t0);
        await a.close();
        const b = new WassetteClient({ engine, cacheDir });
        t0 = performance.now();
        const second = await b.load(bytes, { name: 'big.wasm' });
        warm.push(performance.now() - t0);
        await b.close();
        if (first.source !== 'compile' || second.source !== 'disk')
          throw new Error(`${engine}: expected compile then disk, got ${first.source} then ${second.source}`);
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
    const c = median(cold);
    const w = median(warm);
    rows.push(
      engine === 'js'
        ? `| load a ${mib(bytes.length)} module: cold vs a new client's disk-cache hit | cold ${ms(c)}, disk ${ms(w)} (cached instrumented bytes, compiled again by V8) | | - | js ${x(c / w)} | (report) | n/a |`
        : `| same on wasmtime (.cwasm, \`deserialize_file\`) | | cold ${ms(c)}, disk ${ms(w)} | - | wasmtime ${x(c / w)} | >= 10x faster than compiling | ${met(c / w >= 10)} |`,
    );
  }
  return rows;
}

async function throughputAndStability({ js, wt }: Clients, dir: string): Promise<string[]> {
  const path = join(dir, 'hello-wasi.wasm');
  const jsH = await js.load(path);
  const wtH = await wt.load(path);
  const window = async (client: WassetteClient, h: ComponentHandle, total: number) => {
    let next = 0;
    const lane = async () => {
      while (next < total) {
        next++;
        ok('throughput', await client.execute(h, { kind: 'command' }));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  };
  const perSec = async (client: WassetteClient, h: ComponentHandle) => {
    await window(client, h, 500);
    const t0 = performance.now();
    await window(client, h, THROUGHPUT_RUNS);
    return THROUGHPUT_RUNS / ((performance.now() - t0) / 1000);
  };
  const jsRate = await perSec(js, jsH);
  const wtRate = await perSec(wt, wtH);
  // Stability on wasmtime: commands and JSON calls, 50 in sequence then 50 at once, per 100.
  const json = await wt.load(join(dir, 'guest-json.wasm'));
  let failures = 0;
  const count = (r: ExecutionResult) => {
    if (!r.success) failures++;
  };
  let after100 = 0;
  let halfway = 0;
  const t0 = performance.now();
  for (let done = 0; done < STABILITY_RUNS; done += 100) {
    for (let i = 0; i < 50; i++)
      count(
        i % 2
          ? await wt.execute(wtH, { kind: 'command' })
          : await wt.execute(json, { kind: 'json', name: 'echo', input: JSON_INPUT }),
      );
    (await Promise.all(Array.from({ length: 50 }, () => wt.execute(wtH, { kind: 'command' })))).forEach(count);
    if (done === 0) after100 = process.memoryUsage.rss();
    if (done + 100 === STABILITY_RUNS / 2) halfway = process.memoryUsage.rss();
  }
  const end = process.memoryUsage.rss();
  const seconds = (performance.now() - t0) / 1000;
  const ratio = end / after100;
  return [
    `| throughput, trivial command, ${IN_FLIGHT} in flight | pooled ${Math.round(jsRate).toLocaleString('en')}/s | ${Math.round(wtRate).toLocaleString('en')}/s | - | wasmtime / js ${x(wtRate / jsRate)} | (report) | n/a |`,
    `| stability: ${STABILITY_RUNS.toLocaleString('en')} wasmtime executions in ${seconds.toFixed(1)} s | - | RSS ${mib(after100)} after 100, ${mib(halfway)} halfway, ${mib(end)} at the end | - | ${x(ratio)} | flat RSS (within 10%), no failure | ${met(failures === 0 && ratio <= 1.1)} (${failures} failed) |`,
  ];
}

export async function run(): Promise<BenchSection> {
  const dir = await buildFixtures();
  const probe = new WassetteClient().engines().find((e) => e.name === 'wasmtime');
  if (!probe?.available)
    return {
      title: 'Engines: js and wasmtime side by side',
      markdown: `Not measured: the wasmtime engine is not available (${probe?.reason}).`,
    };
  const clients: Clients = {
    js: new WassetteClient({ engine: 'js', workers: { maxWorkers: 2, minWorkers: 2 } }),
    wt: new WassetteClient({ engine: 'wasmtime' }),
  };
  const rows: string[] = [];
  try {
    console.log('  trivial command and JSON call ...');
    rows.push(...(await trivial(clients, dir)));
    console.log('  C kernels ...');
    rows.push(...(await kernels(clients)));
    console.log('  loading ...');
    rows.push(...(await loading()));
    console.log('  throughput and stability ...');
    rows.push(...(await throughputAndStability(clients, dir)));
  } finally {
    await Promise.all([clients.js.close(), clients.wt.close()]);
  }
  return {
    title: 'Engines: js and wasmtime side by side',
    markdown: [
      `Both engines through the same \`WassetteClient\` calls in one process (${probe.version}; V8 ${process.versions.v8}). Latency rows: ${ROUNDS} interleaved rounds of ${RUNS} awaited calls per contender after a warm-up, median and p95; every call is a fresh instance (js) or a fresh \`Store\` (wasmtime), and the wasmtime time includes the napi call and the libuv thread hop. The js engine runs pooled (worker threads, unmetered) or in-thread (metered, which in-thread requires); wasmtime runs unmetered unless the row says fuel. C kernels: tools/bench/exec-kernel.c built at bench time with \`gcc -O2\` and Debian's \`clang -O2 --target=wasm32-wasi\` (the target rows), and the same wasm after binaryen's \`wasm-opt -O2\` (which clang runs by itself whenever it finds a wasm-opt on PATH, as under \`npm run\`, where the binaryen package puts one; tools/bench/c-kernel.mts keeps it off clang's PATH so the two builds stay apart), ${C_ROUNDS} rounds, the program's own CLOCK_MONOTONIC around its computation. Loading: a ${mib(1024 * 1024)} synthetic module (tools/bench/synthetic.mts), ${LOAD_ROUNDS} rounds, each with a new cache dir: the first client compiles, a second client (empty memory cache) loads from disk. Stability: RSS of the whole process.`,
      '',
      '| case | js | wasmtime | baseline | ratio | target | met? |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}
