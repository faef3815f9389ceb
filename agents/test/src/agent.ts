import { readFile, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename } from 'node:path';
import type { ComponentHandle } from '@portalis/wassette-bridge';
import { parseFuncType, WassetteClient } from '@portalis/wassette-bridge';
import { createLimiter } from './limiter.js';
import type { PlannedCase, RunContext } from './run-case.js';
import { runCase } from './run-case.js';
import { loadTestSpec, validateTestSpec } from './spec.js';
import type { TestCaseResult, TestEvent, TestSpec, TestSummary } from './types.js';

export interface TestAgentOptions {
  /** The bridge client that loads and runs the artifact; default a new one with the default configuration. */
  client?: WassetteClient;
  /** How many tests run at once (default: the number of CPUs). */
  concurrency?: number;
  /** Where per-test scratch directories are made (default: the OS temporary directory). */
  scratchRoot?: string;
}

export interface TestRunOptions {
  /** How the artifact is named in the summary (default: its path, or `module.wasm` for bytes). */
  name?: string;
  /** Called as each test starts and as each result is known (for progress output). */
  onEvent?: (event: TestEvent) => void;
}

/** A problem with the agent's own inputs (an artifact path that cannot be read, a bad option). */
export class TestAgentError extends Error {
  override readonly name = 'TestAgentError';
  readonly code: 'artifact-unreadable' | 'bad-option';

  constructor(code: TestAgentError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

async function readArtifact(path: string): Promise<Uint8Array> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new TestAgentError('artifact-unreadable', `no such artifact: ${path}; give the path of a .wasm file`);
  }
  if (!isFile) throw new TestAgentError('artifact-unreadable', `${path} is not a file; give the path of a .wasm file`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new TestAgentError(
      'artifact-unreadable',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
}

/** The spec's tests, then every exported `test_*` function (unless the spec turns that off). */
function plan(spec: TestSpec, handle: ComponentHandle): PlannedCase[] {
  const cases: PlannedCase[] = (spec.tests ?? []).map((t) => ({
    name: t.name,
    kind: 'json' in t ? 'json' : 'invoke' in t ? 'invoke' : 'command',
    spec: t,
  }));
  if (spec.exportTests === false) return cases;
  for (const e of handle.exports) {
    if (e.kind !== 'func' || !e.name.startsWith('test_')) continue;
    cases.push({ name: e.name, kind: 'export', params: parseFuncType(e.type).params });
  }
  return cases;
}

function summarize(artifact: string, results: TestCaseResult[], started: number): TestSummary {
  const count = (s: TestCaseResult['status']) => results.filter((r) => r.status === s).length;
  return {
    artifact,
    total: results.length,
    passed: count('passed'),
    failed: count('failed'),
    errored: count('error'),
    durationMs: performance.now() - started,
    results,
  };
}

/**
 * Runs the tests of a wasm artifact in the sandbox: each test on a fresh instance, with the
 * testing preset (its own scratch directory read-write at `/tmp`, host variables `TEST_*` only)
 * and its own limits, several at once up to `concurrency`.
 */
export class TestAgent {
  readonly concurrency: number;
  private readonly client: WassetteClient;
  private readonly ownsClient: boolean;
  private readonly scratchRoot: string;

  constructor(options: TestAgentOptions = {}) {
    const concurrency = options.concurrency ?? availableParallelism();
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new TestAgentError(
        'bad-option',
        `concurrency must be a whole number of at least 1, got ${String(concurrency)}`,
      );
    this.concurrency = concurrency;
    this.client = options.client ?? new WassetteClient();
    this.ownsClient = options.client === undefined;
    this.scratchRoot = options.scratchRoot ?? tmpdir();
  }

  /**
   * Runs `spec` (a YAML/JSON file path or a `TestSpec`) and the artifact's `test_*` exports.
   * Throws `TestSpecError` for a spec that cannot be read or is invalid, and `TestAgentError` for
   * an artifact path that cannot be read. An artifact that does not load (invalid, missing
   * imports, a component on the js engine) gives a summary whose first case, `load`, is an
   * error, followed by every spec test as an error that did not run.
   */
  async run(
    artifact: string | Uint8Array,
    spec?: string | TestSpec,
    options: TestRunOptions = {},
  ): Promise<TestSummary> {
    const started = performance.now();
    const checked: TestSpec =
      spec === undefined ? {} : typeof spec === 'string' ? await loadTestSpec(spec) : validateTestSpec(spec);
    const bytes = typeof artifact === 'string' ? await readArtifact(artifact) : artifact;
    const loadName = options.name ?? (typeof artifact === 'string' ? basename(artifact) : 'module.wasm');
    const label = options.name ?? (typeof artifact === 'string' ? artifact : 'module.wasm');
    const emit = options.onEvent ?? (() => {});

    const defaultMemory = checked.defaults?.limits?.maxMemoryBytes;
    const handles = new Map<string, Promise<ComponentHandle>>();
    const handle = (maxMemoryBytes: number | undefined, metered: boolean) => {
      const key = `${maxMemoryBytes ?? 'default'}:${metered}`;
      let h = handles.get(key);
      if (!h) {
        // Any fuel value meters the module; each execution then sets its own budget.
        const limits = {
          ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
          ...(metered ? { fuel: 1 } : {}),
        };
        h = this.client.load(bytes, { name: loadName, limits });
        handles.set(key, h);
      }
      return h;
    };

    let base: ComponentHandle;
    try {
      base = await handle(defaultMemory, false);
    } catch (e) {
      return this.loadFailed(label, checked, e, started, emit);
    }
    const ctx: RunContext = { client: this.client, spec: checked, handle, scratchRoot: this.scratchRoot };
    const limit = createLimiter(this.concurrency);
    const results = await Promise.all(
      plan(checked, base).map((planned) =>
        limit(async () => {
          emit({ type: 'start', name: planned.name, kind: planned.kind });
          const result = await runCase(ctx, planned);
          emit({ type: 'result', result });
          return result;
        }),
      ),
    );
    return summarize(label, results, started);
  }

  private loadFailed(
    label: string,
    spec: TestSpec,
    e: unknown,
    started: number,
    emit: (event: TestEvent) => void,
  ): TestSummary {
    const why = (e as Error)?.message ?? String(e);
    const results: TestCaseResult[] = [
      {
        name: 'load',
        kind: 'load',
        status: 'error',
        reason: 'load',
        durationMs: performance.now() - started,
        message: `the artifact did not load: ${why}`,
      },
      ...(spec.tests ?? []).map(
        (t): TestCaseResult => ({
          name: t.name,
          kind: 'json' in t ? 'json' : 'invoke' in t ? 'invoke' : 'command',
          status: 'error',
          reason: 'load',
          durationMs: 0,
          message: 'not run: the artifact did not load',
        }),
      ),
    ];
    for (const result of results) emit({ type: 'result', result });
    return summarize(label, results, started);
  }

  /** Stops the worker threads of the client the agent made itself (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}
