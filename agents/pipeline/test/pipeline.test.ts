import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, verifyPackage } from '@portalis/agent-packaging';
import { TranspileError, TranspilerAgent } from '@portalis/agent-transpiler';
import { lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  discoverItems,
  ensureDevKey,
  PipelineConfigError,
  type PipelineEvent,
  type PipelineSummary,
  runPipeline,
} from '../src/index.js';

const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'portalis-pipeline-'));

async function events(...args: Parameters<typeof runPipeline>): Promise<PipelineEvent[]> {
  return lastValueFrom(runPipeline(...args).pipe(toArray()));
}
const summaryOf = (es: PipelineEvent[]) => (es.at(-1) as { summary: PipelineSummary }).summary;

/** A copy of two examples, one of them broken as `how` says, in a fresh directory. */
function workspace(how?: (dir: string) => void): string {
  const dir = mkdtempSync(join(scratch, 'items-'));
  cpSync(join(examples, 'calculator-wat'), join(dir, 'calculator-wat'), { recursive: true });
  cpSync(join(examples, 'line-count'), join(dir, 'line-count'), { recursive: true });
  how?.(dir);
  return dir;
}

let keyFile: string;
beforeAll(async () => {
  ({ keyFile } = await generateKeyPair(join(scratch, 'signer')));
});

describe('discoverItems', () => {
  it('finds each example directory with its source, spec and manifest', () => {
    const items = discoverItems(examples);
    expect(items.map((i) => i.name)).toEqual(['calculator-as', 'calculator-c', 'calculator-wat', 'line-count']);
    const wat = items.find((i) => i.name === 'calculator-wat');
    expect(wat?.source).toMatch(/calculator-wat\/calculator\.wat$/);
    expect(wat?.spec).toMatch(/test\.yaml$/);
    expect(wat?.manifest).toMatch(/manifest\.yaml$/);
  });

  it('reads a config file with paths relative to it', () => {
    const dir = workspace();
    const config = join(dir, 'pipeline.yaml');
    writeFileSync(
      config,
      'items:\n  - { name: calc, source: calculator-wat/calculator.wat, manifest: calculator-wat/manifest.yaml }\n',
    );
    const [item] = discoverItems(config);
    expect(item).toEqual({
      name: 'calc',
      source: join(dir, 'calculator-wat/calculator.wat'),
      spec: undefined,
      manifest: join(dir, 'calculator-wat/manifest.yaml'),
    });
  });

  it('refuses what it cannot use, saying what is wrong', () => {
    expect(() => discoverItems(join(scratch, 'nope'))).toThrow(/does not exist/);
    const twoSources = workspace((d) => writeFileSync(join(d, 'calculator-wat', 'extra.c'), 'int main(){}'));
    expect(() => discoverItems(twoSources)).toThrow(
      /exactly one source file.*calculator\.wat, extra\.c|extra\.c, calculator\.wat/,
    );
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, 'items:\n  - { name: x, source: a.wat }\n');
    expect(() => discoverItems(bad)).toThrow(PipelineConfigError);
    expect(() => discoverItems(bad)).toThrow(/items\.0\.manifest/);
    const empty = mkdtempSync(join(scratch, 'empty-'));
    expect(() => discoverItems(empty)).toThrow(/holds no items/);
  });
});

describe('runPipeline', () => {
  it('takes the examples to verified, signed packages, stage by stage', async () => {
    const out = join(scratch, 'out-ok');
    const es = await events(discoverItems(workspace()), { outDir: out, keyFile, concurrency: 2 });
    expect(es[0]).toMatchObject({ type: 'started', total: 2, concurrency: 2 });
    for (const item of ['calculator-wat', 'line-count']) {
      const stages = es
        .filter((e) => e.type === 'stage-passed' && e.item === item)
        .map((e) => (e as { stage: string }).stage);
      expect(stages).toEqual(['transpile', 'validate', 'test', 'package']);
    }
    const summary = summaryOf(es);
    expect(summary).toMatchObject({ total: 2, packaged: 2, failed: 0, skipped: 0 });
    for (const o of summary.items) {
      expect(o.tests?.failed).toBe(0);
      expect(o.tests?.passed).toBeGreaterThan(0);
      const verified = await verifyPackage(o.packageDir as string, { pubkeyFile: keyFile.replace(/\.key$/, '.pub') });
      expect(verified.problems).toEqual([]);
      expect(verified.ok).toBe(true);
    }
  });

  it('stops an item at its first failure while the others go on', async () => {
    const dir = workspace((d) => {
      const spec = join(d, 'calculator-wat', 'test.yaml');
      writeFileSync(spec, readFileSync(spec, 'utf8').replace('stdout: "4\\n"', 'stdout: "5\\n"'));
    });
    const es = await events(discoverItems(dir), { outDir: join(scratch, 'out-fail'), keyFile });
    const summary = summaryOf(es);
    expect(summary).toMatchObject({ packaged: 1, failed: 1 });
    const failed = summary.items.find((o) => o.item === 'calculator-wat');
    expect(failed).toMatchObject({ status: 'failed', stage: 'test', packageDir: undefined });
    expect(failed?.reason).toMatch(/1 of 6 test\(s\) failed/);
    expect(es.some((e) => e.type === 'stage-started' && e.item === 'calculator-wat' && e.stage === 'package')).toBe(
      false,
    );
  });

  it('fails a source that does not compile at transpile, with the compiler message', async () => {
    const dir = workspace((d) =>
      writeFileSync(join(d, 'calculator-wat', 'calculator.wat'), '(module (func $f (i32.add)))'),
    );
    const summary = summaryOf(await events(discoverItems(dir), { outDir: join(scratch, 'out-compile'), keyFile }));
    const failed = summary.items.find((o) => o.item === 'calculator-wat');
    expect(failed).toMatchObject({ status: 'failed', stage: 'transpile' });
    expect(failed?.reason).toBeTruthy();
  });

  it('fails an item whose manifest does not match the module at package', async () => {
    const dir = workspace((d) => {
      const m = join(d, 'line-count', 'manifest.yaml');
      writeFileSync(
        m,
        readFileSync(m, 'utf8').replace(
          'capabilities: [args, filesystem, stdio, exit]',
          'capabilities: [args, stdio, exit]',
        ),
      );
    });
    const summary = summaryOf(await events(discoverItems(dir), { outDir: join(scratch, 'out-pkg'), keyFile }));
    const failed = summary.items.find((o) => o.item === 'line-count');
    expect(failed).toMatchObject({ status: 'failed', stage: 'package' });
    expect(failed?.reason).toMatch(/filesystem/);
  });

  it('skips, rather than fails, an item whose toolchain is missing', async () => {
    class NoToolchain extends TranspilerAgent {
      override async transpile(): Promise<never> {
        throw new TranspileError('toolchain-missing', 'clang is not installed; install clang lld wasi-libc');
      }
    }
    const items = discoverItems(workspace()).slice(0, 1);
    const summary = summaryOf(
      await events(items, { outDir: join(scratch, 'out-skip'), keyFile, agents: { transpiler: new NoToolchain() } }),
    );
    expect(summary).toMatchObject({ skipped: 1, failed: 0, packaged: 0 });
    expect(summary.items[0]).toMatchObject({ status: 'skipped', stage: 'transpile' });
    expect(summary.items[0]?.reason).toMatch(/install clang/);
  });

  it('keeps no more items in flight than the concurrency limit', async () => {
    const dir = workspace((d) => {
      for (const n of [1, 2, 3]) cpSync(join(d, 'calculator-wat'), join(d, `calc-${n}`), { recursive: true });
      for (const n of [1, 2, 3]) {
        const m = join(d, `calc-${n}`, 'manifest.yaml');
        writeFileSync(m, readFileSync(m, 'utf8').replace('name: calculator-wat', `name: calc-${n}`));
      }
    });
    const es = await events(discoverItems(dir), { outDir: join(scratch, 'out-conc'), keyFile, concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    for (const e of es) {
      if (e.type === 'stage-started' && e.stage === 'transpile') most = Math.max(most, ++inFlight);
      if (e.type === 'item-finished') inFlight--;
    }
    expect(most).toBe(2);
    expect(summaryOf(es).packaged).toBe(5);
  });
});

describe('ensureDevKey', () => {
  it('creates the development key once and reuses it', async () => {
    const dir = join(scratch, 'devkey');
    mkdirSync(dir, { recursive: true });
    const first = await ensureDevKey(dir);
    const second = await ensureDevKey(dir);
    expect(first.created).toBe(true);
    expect(second).toEqual({ keyFile: first.keyFile, created: false });
    expect(readFileSync(first.keyFile, 'utf8')).toMatch(/PRIVATE KEY/);
  });
});
