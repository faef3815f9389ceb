/**
 * Pipeline throughput: 50 small sources (variants of examples/calculator-wat and
 * examples/line-count, each with its spec and manifest) taken through transpile -> validate ->
 * test -> package, at concurrency 1, 2 and 4, and a second run of the same sources (the
 * transpiler's artifact cache warm).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '@portalis/agent-packaging';
import { TranspilerAgent } from '@portalis/agent-transpiler';
import { discoverItems, type PipelineEvent, type PipelineSummary, runPipeline } from '@portalis/pipeline';
import { WassetteClient } from '@portalis/wassette-bridge';
import { lastValueFrom } from 'rxjs';
import type { BenchSection } from './run.mts';
import { x } from './stats.mts';

const examples = fileURLToPath(new URL('../../examples', import.meta.url));
const ITEMS = 50;

/** 50 item directories; each source differs by a comment so that no two share a cache entry. */
function sources(root: string): void {
  for (let i = 0; i < ITEMS; i++) {
    const from = i % 2 ? 'line-count' : 'calculator-wat';
    const dir = join(root, `item-${i}`);
    cpSync(join(examples, from), dir, { recursive: true });
    const src = join(dir, from === 'line-count' ? 'line-count.wat' : 'calculator.wat');
    writeFileSync(src, `;; variant ${i}\n${readFileSync(src, 'utf8')}`);
    const manifest = join(dir, 'manifest.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: item-${i}`));
  }
}

async function once(
  root: string,
  out: string,
  keyFile: string,
  concurrency: number,
  transpiler: TranspilerAgent,
  client: WassetteClient,
): Promise<PipelineSummary> {
  const last = (await lastValueFrom(
    runPipeline(discoverItems(root), { outDir: out, keyFile, concurrency, client, agents: { transpiler } }),
  )) as PipelineEvent;
  if (last.type !== 'finished') throw new Error('no summary');
  if (last.summary.packaged !== ITEMS)
    throw new Error(
      `only ${last.summary.packaged} of ${ITEMS} packaged: ${JSON.stringify(last.summary.items.find((o) => o.status !== 'packaged'))}`,
    );
  return last.summary;
}

export async function run(): Promise<BenchSection> {
  const tmp = mkdtempSync(join(tmpdir(), 'portalis-pipeline-bench-'));
  const rows: string[] = [];
  const client = new WassetteClient();
  try {
    const { keyFile } = await generateKeyPair(join(tmp, 'bench'));
    const root = join(tmp, 'items');
    sources(root);
    // Warm the process (JIT, worker threads) on a throwaway run at concurrency 2.
    await once(
      root,
      join(tmp, 'warm'),
      keyFile,
      2,
      new TranspilerAgent({ client, cacheDir: join(tmp, 'cache-warm') }),
      client,
    );
    let base = 0;
    for (const concurrency of [1, 2, 4]) {
      const transpiler = new TranspilerAgent({ client, cacheDir: join(tmp, `cache-${concurrency}`) });
      const cold = await once(root, join(tmp, `out-${concurrency}`), keyFile, concurrency, transpiler, client);
      const warm = await once(root, join(tmp, `out-${concurrency}-again`), keyFile, concurrency, transpiler, client);
      const coldRate = ITEMS / (cold.durationMs / 1000);
      const warmRate = ITEMS / (warm.durationMs / 1000);
      if (concurrency === 1) base = coldRate;
      rows.push(
        `| ${concurrency} | ${(cold.durationMs / 1000).toFixed(2)} s | ${coldRate.toFixed(1)} items/s (${x(coldRate / base)}) | ${(warm.durationMs / 1000).toFixed(2)} s | ${warmRate.toFixed(1)} items/s |`,
      );
    }
  } finally {
    await client.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    title: 'Pipeline throughput: 50 small sources',
    markdown: [
      `${ITEMS} items (alternately variants of examples/calculator-wat, 6 tests, and examples/line-count, 6 tests, each with a distinct source) through transpile -> validate -> test -> package (signed), one process, the js engine. "Cold" has an empty transpile cache; "again" runs the same sources with the cache warm (tests and packaging run again in full). Ratios are against concurrency 1.`,
      '',
      '| concurrency | cold | cold throughput | again | again throughput |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}
