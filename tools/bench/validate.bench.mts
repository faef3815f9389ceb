import { WassetteClient } from '@portalis/wassette-bridge';
import { Bench } from 'tinybench';
import type { BenchSection } from './run.mts';
import { syntheticModule } from './synthetic.mts';

function fmt(ms: number): string {
  return ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} us`;
}

/** validate() with full metadata against bare WebAssembly.validate on the same bytes. */
export async function run(): Promise<BenchSection> {
  const client = new WassetteClient();
  const sizes: [string, number][] = [
    ['10 KiB', 10 * 1024],
    ['1 MiB', 1024 * 1024],
    ['10 MiB', 10 * 1024 * 1024],
  ];
  const rows: string[] = [];
  for (const [label, size] of sizes) {
    const bytes = syntheticModule(size);
    if (!WebAssembly.validate(bytes)) throw new Error(`synthetic ${label} module is invalid`);
    const check = await client.validate(bytes);
    if (!check.isValid)
      throw new Error(`validate() rejected the synthetic ${label} module: ${JSON.stringify(check.errors)}`);
    const bench = new Bench({ time: size > 2 ** 22 ? 3000 : 1500, warmupTime: 300 });
    bench.add('WebAssembly.validate', () => {
      WebAssembly.validate(bytes);
    });
    bench.add('validate() + metadata', async () => {
      await client.validate(bytes);
    });
    await bench.run();
    const [bare, ours] = bench.tasks.map((t) => {
      const r = t.result as { latency?: { p50?: number; mean?: number }; mean?: number } | undefined;
      return r?.latency?.p50 ?? r?.latency?.mean ?? r?.mean ?? Number.NaN;
    }) as [number, number];
    rows.push(
      `| ${label} (${(bytes.length / 1024).toFixed(0)} KiB, ${check.metadata?.instructionCount} instructions) | ${fmt(bare)} | ${fmt(ours)} | ${(ours / bare).toFixed(2)}x |`,
    );
  }
  return {
    title: 'validate(): validation + metadata vs bare WebAssembly.validate',
    markdown: [
      'Median time per call on synthetic modules with a realistic instruction mix (tools/bench/synthetic.mts).',
      '`validate()` includes V8 validation, our section decode, the walk of the code for features and',
      'instruction count (for modules V8 accepted: WebAssembly compiled from',
      'packages/wasm-binary/assembly/valid-code-scan.ts), the metadata and the SHA-256 digest.',
      'Target: at most 2x at 1 MiB and up.',
      '',
      '| module | WebAssembly.validate | validate() + metadata | ratio |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}
