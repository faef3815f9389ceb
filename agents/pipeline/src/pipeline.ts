import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PackagingAgent } from '@portalis/agent-packaging';
import { TestAgent } from '@portalis/agent-test';
import { TranspileError, TranspilerAgent } from '@portalis/agent-transpiler';
import type { WassetteClient } from '@portalis/wassette-bridge';
import { concat, defer, from, mergeMap, Observable, of } from 'rxjs';
import type { PipelineItem } from './items.js';

export type Stage = 'transpile' | 'validate' | 'test' | 'package';
export const STAGES: readonly Stage[] = ['transpile', 'validate', 'test', 'package'];

export type ItemStatus = 'packaged' | 'failed' | 'skipped';

export interface ItemOutcome {
  item: string;
  status: ItemStatus;
  /** The stage that failed or was skipped at; undefined when packaged. */
  stage: Stage | undefined;
  /** Why it failed or was skipped. */
  reason: string | undefined;
  packageDir: string | undefined;
  wasmBytes: number | undefined;
  tests: { passed: number; failed: number; errored: number } | undefined;
  durationMs: number;
}

export interface PipelineSummary {
  total: number;
  packaged: number;
  failed: number;
  skipped: number;
  durationMs: number;
  outDir: string;
  items: ItemOutcome[];
}

/** What the pipeline emits, in order per item; items interleave up to the concurrency limit. */
export type PipelineEvent =
  | { type: 'started'; total: number; concurrency: number; outDir: string }
  | { type: 'stage-started'; item: string; stage: Stage }
  | { type: 'stage-passed'; item: string; stage: Stage; durationMs: number; detail: string }
  | { type: 'item-finished'; outcome: ItemOutcome }
  | { type: 'finished'; summary: PipelineSummary };

export interface PipelineOptions {
  /** Where package directories go: `<outDir>/<item>/`. Wasm artifacts go to `<outDir>/.build/`. */
  outDir: string;
  /** The ed25519 private key that signs every package. */
  keyFile: string;
  /** Items in flight at once; default 2. */
  concurrency?: number;
  client?: WassetteClient;
  /** The agents, for tests that substitute one; default: new agents over `client`. */
  agents?: { transpiler?: TranspilerAgent; test?: TestAgent; packaging?: PackagingAgent };
}

/** A stage failure that ends the item; `skip` means the item cannot be built here (a missing toolchain). */
class StageFailure extends Error {
  constructor(
    readonly stage: Stage,
    message: string,
    readonly skip = false,
  ) {
    super(message);
  }
}

interface Agents {
  transpiler: TranspilerAgent;
  test: TestAgent;
  packaging: PackagingAgent;
}

/** Runs one item's stages in order, emitting as it goes; resolves to its outcome, never rejects. */
async function runItem(
  item: PipelineItem,
  agents: Agents,
  options: PipelineOptions,
  emit: (e: PipelineEvent) => void,
): Promise<ItemOutcome> {
  const started = performance.now();
  const outcome: ItemOutcome = {
    item: item.name,
    status: 'failed',
    stage: undefined,
    reason: undefined,
    packageDir: undefined,
    wasmBytes: undefined,
    tests: undefined,
    durationMs: 0,
  };
  const stage = async <T>(name: Stage, work: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    emit({ type: 'stage-started', item: item.name, stage: name });
    const t0 = performance.now();
    try {
      const { value, detail } = await work();
      emit({ type: 'stage-passed', item: item.name, stage: name, durationMs: performance.now() - t0, detail });
      return value;
    } catch (e) {
      if (e instanceof StageFailure) throw e;
      // A refused package carries the verification report: name the checks that failed.
      const checks = (e as { report?: { checks?: { ok: boolean; message: string }[] } }).report?.checks;
      if (checks)
        throw new StageFailure(
          name,
          `${(e as Error).message}: ${checks
            .filter((c) => !c.ok)
            .map((c) => c.message)
            .join('; ')}`,
        );
      if (e instanceof TranspileError) throw new StageFailure(name, e.message, e.code === 'toolchain-missing');
      throw new StageFailure(name, (e as Error)?.message ?? String(e));
    }
  };
  try {
    const buildDir = join(options.outDir, '.build');
    mkdirSync(buildDir, { recursive: true });
    const wasmFile = join(buildDir, `${item.name}.wasm`);
    // The transpiler validates its output through the bridge; the validate stage reads that
    // report, and an output the bridge refuses fails there rather than at transpile.
    let invalid: string | undefined;
    const built = await stage('transpile', async () => {
      try {
        const r = await agents.transpiler.transpile(item.source, { outFile: wasmFile });
        return { value: r, detail: `${r.frontend}, ${r.wasm.length} bytes${r.cached ? ' (cached)' : ''}` };
      } catch (e) {
        if (!(e instanceof TranspileError) || e.code !== 'invalid-output') throw e;
        invalid = e.message;
        return { value: undefined, detail: 'compiled' };
      }
    });
    await stage('validate', async () => {
      if (!built || invalid !== undefined) throw new StageFailure('validate', invalid ?? 'no output to validate');
      const report = built.report;
      if (!report.isValid)
        throw new StageFailure('validate', `not valid WebAssembly: ${report.errors[0]?.message ?? 'unknown reason'}`);
      const m = report.metadata;
      const warnings = report.warnings.length ? `, ${report.warnings.length} warning(s)` : '';
      return { value: undefined, detail: `${m?.kind ?? 'module'}, ${m?.exports.length ?? 0} exports${warnings}` };
    });
    outcome.wasmBytes = built?.wasm.length;
    const summary = await stage('test', async () => {
      const s = await agents.test.run(wasmFile, item.spec, { name: item.name });
      if (s.total === 0) throw new StageFailure('test', 'no tests: add a test spec (test.yaml) or test_* exports');
      if (s.failed > 0 || s.errored > 0) {
        const bad = s.results.filter((r) => r.status !== 'passed');
        const first = bad[0];
        throw new StageFailure(
          'test',
          `${bad.length} of ${s.total} test(s) failed${first ? `; first: ${first.name}: ${first.message ?? first.status}` : ''}`,
        );
      }
      return { value: s, detail: `${s.passed}/${s.total} passed` };
    });
    outcome.tests = { passed: summary.passed, failed: summary.failed, errored: summary.errored };
    const pkg = await stage('package', async () => {
      const p = await agents.packaging.package(wasmFile, item.manifest, {
        keyFile: options.keyFile,
        outDir: options.outDir,
      });
      if (!p.report.ok) {
        const failed = p.report.checks.filter((c) => !c.ok).map((c) => c.message);
        throw new StageFailure('package', `verification failed: ${failed.join('; ')}`);
      }
      return { value: p, detail: `signed, ${p.dir}` };
    });
    outcome.status = 'packaged';
    outcome.packageDir = pkg.dir;
  } catch (e) {
    const f = e as StageFailure;
    outcome.status = f.skip ? 'skipped' : 'failed';
    outcome.stage = f.stage;
    outcome.reason = f.message;
  }
  outcome.durationMs = performance.now() - started;
  return outcome;
}

/**
 * Takes each item through transpile -> validate -> test -> package, `concurrency` items at a
 * time. An item stops at its first failure while the others go on; an item whose toolchain is
 * missing is skipped, not failed. The stream ends with a `finished` event carrying the summary.
 */
export function runPipeline(items: readonly PipelineItem[], options: PipelineOptions): Observable<PipelineEvent> {
  return defer(() => {
    const concurrency = Math.max(1, options.concurrency ?? 2);
    const client = options.client;
    const agents: Agents = {
      transpiler: options.agents?.transpiler ?? new TranspilerAgent(client ? { client } : {}),
      test: options.agents?.test ?? new TestAgent(client ? { client } : {}),
      packaging: options.agents?.packaging ?? new PackagingAgent(client ? { client } : {}),
    };
    const started = performance.now();
    const outcomes: ItemOutcome[] = [];
    // The item's work starts when mergeMap subscribes, so that its first events are not lost
    // and no more than `concurrency` items run at once.
    const perItem = (item: PipelineItem): Observable<PipelineEvent> =>
      new Observable<PipelineEvent>((subscriber) => {
        runItem(item, agents, options, (e) => subscriber.next(e)).then((outcome) => {
          outcomes.push(outcome);
          subscriber.next({ type: 'item-finished', outcome });
          subscriber.complete();
        });
      });
    const summary = (): PipelineSummary => {
      const order = new Map(items.map((i, n) => [i.name, n]));
      const sorted = [...outcomes].sort((a, b) => (order.get(a.item) ?? 0) - (order.get(b.item) ?? 0));
      return {
        total: items.length,
        packaged: sorted.filter((o) => o.status === 'packaged').length,
        failed: sorted.filter((o) => o.status === 'failed').length,
        skipped: sorted.filter((o) => o.status === 'skipped').length,
        durationMs: performance.now() - started,
        outDir: options.outDir,
        items: sorted,
      };
    };
    return concat(
      of<PipelineEvent>({ type: 'started', total: items.length, concurrency, outDir: options.outDir }),
      from(items).pipe(mergeMap((item) => perItem(item), concurrency)),
      defer(() => of<PipelineEvent>({ type: 'finished', summary: summary() })),
    );
  });
}
