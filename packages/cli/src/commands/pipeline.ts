import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  discoverItems,
  ensureDevKey,
  type ItemOutcome,
  PipelineConfigError,
  type PipelineEvent,
  type PipelineSummary,
  runPipeline,
  STAGES,
  type Stage,
} from '@portalis/pipeline';
import type { Command } from 'commander';
import { lastValueFrom, tap } from 'rxjs';
import { match } from 'ts-pattern';
import type { CliIo } from '../io.js';
import { ExitCode, UsageError } from '../io.js';

export interface PipelineFlags {
  out?: string;
  key?: string;
  json?: boolean;
  concurrency?: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Where each item is, for the live view. */
interface ItemState {
  stage: Stage | 'queued' | 'done';
  text: string;
}

/**
 * Shows progress. On a terminal: one status line per item, a bar and the elapsed time, redrawn
 * in place. Elsewhere (a pipe, CI): one plain line per stage result, nothing redrawn.
 */
class Progress {
  private readonly states = new Map<string, ItemState>();
  private readonly started = performance.now();
  private total = 0;
  private done = 0;
  private drawn = 0;

  constructor(
    private readonly io: CliIo,
    names: string[],
  ) {
    for (const n of names) this.states.set(n, { stage: 'queued', text: 'queued' });
  }

  handle(event: PipelineEvent): void {
    match(event)
      .with({ type: 'started' }, (e) => {
        this.total = e.total;
        if (!this.io.isTTY)
          this.io.stdout(`pipeline: ${e.total} item(s), ${e.concurrency} at a time, packages into ${e.outDir}\n`);
      })
      .with({ type: 'stage-started' }, (e) => {
        this.states.set(e.item, { stage: e.stage, text: `${e.stage}...` });
      })
      .with({ type: 'stage-passed' }, (e) => {
        this.states.set(e.item, { stage: e.stage, text: `${e.stage} ok (${e.detail})` });
        if (!this.io.isTTY) this.io.stdout(`${e.item}: ${e.stage} ok in ${seconds(e.durationMs)}: ${e.detail}\n`);
      })
      .with({ type: 'item-finished' }, ({ outcome }) => {
        this.done++;
        this.states.set(outcome.item, { stage: 'done', text: outcomeText(outcome) });
        if (!this.io.isTTY) this.io.stdout(`${outcome.item}: ${outcomeText(outcome)}\n`);
      })
      .with({ type: 'finished' }, () => {})
      .exhaustive();
    if (this.io.isTTY) this.draw();
  }

  private draw(): void {
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : 0;
    const lines = [...this.states].map(([name, s]) => {
      const mark =
        s.stage === 'done' ? (s.text.startsWith('packaged') ? '✔' : s.text.startsWith('skipped') ? '-' : '✘') : '…';
      return `${mark} ${name.padEnd(20)} ${s.text}`;
    });
    lines.push(
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total}  ${seconds(performance.now() - this.started)}`,
    );
    // Move up over the previous frame and clear it before drawing the new one.
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    this.io.stdout(`${up}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    this.drawn = lines.length;
  }
}

function outcomeText(o: ItemOutcome): string {
  return match(o.status)
    .with('packaged', () => `packaged in ${seconds(o.durationMs)} -> ${o.packageDir}`)
    .with('skipped', () => `skipped at ${o.stage}: ${o.reason}`)
    .with('failed', () => `FAILED at ${o.stage}: ${o.reason}`)
    .exhaustive();
}

function table(summary: PipelineSummary): string {
  const rows = summary.items.map((o) => [
    o.item,
    o.status,
    o.stage ?? STAGES.at(-1) ?? '',
    o.wasmBytes === undefined ? '-' : `${o.wasmBytes}`,
    o.tests ? `${o.tests.passed}/${o.tests.passed + o.tests.failed + o.tests.errored}` : '-',
    seconds(o.durationMs),
    o.packageDir ?? o.reason ?? '',
  ]);
  const head = ['item', 'status', 'stage', 'wasm bytes', 'tests', 'time', 'package / reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export async function pipelineCommand(target: string, flags: PipelineFlags, io: CliIo): Promise<number> {
  let items: ReturnType<typeof discoverItems>;
  try {
    items = discoverItems(target);
  } catch (e) {
    if (e instanceof PipelineConfigError) throw new UsageError(e.message);
    throw e;
  }
  const outDir = resolve(flags.out ?? 'dist/packages');
  let keyFile: string;
  let keyNote: string | undefined;
  if (flags.key) {
    keyFile = resolve(flags.key);
    if (!existsSync(keyFile))
      throw new UsageError(`--key ${flags.key}: no such file; create a key pair with portalis keygen -o PREFIX`);
  } else {
    const dev = await ensureDevKey();
    keyFile = dev.keyFile;
    keyNote = `${dev.created ? 'created' : 'using'} the local development key ${keyFile} (not for release: pass --key PREFIX.key)`;
  }
  if (keyNote && !flags.json) io.stdout(`note: ${keyNote}\n`);
  const progress = flags.json
    ? undefined
    : new Progress(
        io,
        items.map((i) => i.name),
      );
  const events$ = runPipeline(items, {
    outDir,
    keyFile,
    ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
  }).pipe(tap((e) => progress?.handle(e)));
  const last = await lastValueFrom(events$);
  if (last.type !== 'finished') throw new Error('the pipeline ended without a summary');
  const summary = last.summary;
  if (flags.json) {
    io.stdout(`${JSON.stringify({ ...summary, key: { file: keyFile, development: !flags.key } }, null, 2)}\n`);
  } else {
    io.stdout(`\n${table(summary)}\n\n`);
    io.stdout(
      `${summary.packaged} packaged, ${summary.failed} failed, ${summary.skipped} skipped in ${seconds(summary.durationMs)}; signed packages are in ${summary.outDir}\n`,
    );
    if (keyNote)
      io.stdout(`note: packages are signed with the development key; verify with portalis package verify DIR\n`);
  }
  return summary.failed > 0 ? ExitCode.failed : ExitCode.ok;
}

export function registerPipelineCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('pipeline')
    .description(
      'Take every item under DIR (or listed in CONFIG) through transpile -> validate -> test -> package; exit 0 when none failed, 1 otherwise, 2 on a usage error.',
    )
    .argument(
      '<DIR|CONFIG>',
      'a directory of items (each: one source, manifest.yaml, test.yaml) or a pipeline YAML file',
    )
    .option('-o, --out <DIR>', 'where the package directories go (default dist/packages)')
    .option('--key <PREFIX.key>', 'the signing key (default: a local development key, created once)')
    .option('--concurrency <N>', 'items in flight at once (default 2)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer, got ${v}`);
      return n;
    })
    .option('--json', 'print the summary as JSON instead of progress and a table')
    .action(async (target: string, opts: PipelineFlags) => setExit(await pipelineCommand(target, opts, io)));
}
