import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  ComponentHandle,
  ExecutionFailure,
  ExecutionRequest,
  ExecutionResult,
  RequestCommon,
  WassetteClient,
} from '@portalis/wassette-bridge';
import { BridgeError, ComponentPermissions, LIMIT_CODES } from '@portalis/wassette-bridge';
import { checkJson, checkReturns, checkText, quote, toWasmNumber } from './expect.js';
import type {
  CommandTestSpec,
  InvokeTestSpec,
  JsonTestSpec,
  TestCaseKind,
  TestCaseResult,
  TestCaseSpec,
  TestFailureReason,
  TestLimits,
  TestSpec,
} from './types.js';

/** Per-test wall-clock budget when neither the test nor the spec's defaults set one. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** One test to run: a spec test, a `test_*` export, or an export that cannot be one. */
export type PlannedCase =
  | { name: string; kind: 'command' | 'json' | 'invoke'; spec: TestCaseSpec }
  | { name: string; kind: 'export'; params: readonly string[] };

/** What every test of one run shares. */
export interface RunContext {
  client: WassetteClient;
  spec: TestSpec;
  /** A handle for these load-time limits (loaded once per distinct pair, then reused). */
  handle(maxMemoryBytes: number | undefined, metered: boolean): Promise<ComponentHandle>;
  scratchRoot: string;
}

type Outcome = Omit<TestCaseResult, 'name' | 'durationMs' | 'kind'>;

const passed: Outcome = { status: 'passed' };

function failed(reason: TestFailureReason, message: string, trap?: ExecutionFailure['code']): Outcome {
  return { status: 'failed', reason, message, ...(trap ? { trap } : {}) };
}

function errored(reason: TestFailureReason, message: string): Outcome {
  return { status: 'error', reason, message };
}

function limitsOf(ctx: RunContext, planned: PlannedCase): TestLimits {
  const own = planned.kind === 'export' ? undefined : planned.spec.limits;
  return { ...ctx.spec.defaults?.limits, ...own };
}

function filesOf(planned: PlannedCase): Record<string, string> {
  return planned.kind === 'export' ? {} : (planned.spec.files ?? {});
}

/** Writes the test's files into its scratch directory, creating folders on the way. */
async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

function requestFor(ctx: RunContext, planned: PlannedCase, common: RequestCommon): ExecutionRequest {
  if (planned.kind === 'export') return { ...common, kind: 'function', name: planned.name, args: [] };
  if (planned.kind === 'json') {
    const { json } = planned.spec as JsonTestSpec;
    return {
      ...common,
      kind: 'json',
      name: json.name,
      input: json.input,
      ...(json.allocExport ? { allocExport: json.allocExport } : {}),
    };
  }
  if (planned.kind === 'invoke') {
    const { invoke } = planned.spec as InvokeTestSpec;
    return { ...common, kind: 'function', name: invoke.name, args: (invoke.args ?? []).map(toWasmNumber) };
  }
  const spec = planned.spec as CommandTestSpec;
  return {
    ...common,
    kind: 'command',
    args: spec.args ?? [],
    env: { ...ctx.spec.defaults?.env, ...spec.env },
    ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }),
  };
}

/** A trap or limit the test did not expect, with its code first so that a reader sees it at once. */
function stopped(error: ExecutionFailure): Outcome {
  const isLimit = error.code !== undefined && LIMIT_CODES.has(error.code);
  const label = error.code ? `${isLimit ? 'limit' : 'trap'} ${error.code}` : error.kind;
  return failed(isLimit ? 'limit' : 'trap', `${label}: ${error.message}`, error.code);
}

function ranToEnd(result: ExecutionResult): string {
  if (result.exitCode !== undefined) return `exit code ${result.exitCode}`;
  return `returned ${quote(result.returnValue)}`;
}

const decoder = new TextDecoder();

async function checkFiles(dir: string, expected: NonNullable<CommandTestSpec['expect']>['files']): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, want] of Object.entries(expected ?? {})) {
    let content: string;
    try {
      content = await readFile(join(dir, path), 'utf8');
    } catch {
      problems.push(`file ${path}: expected it in the scratch directory, but the run left none`);
      continue;
    }
    const p = checkText(`file ${path}`, want, content);
    if (p) problems.push(p);
  }
  return problems;
}

/** Compares what a run did with what the test expects. */
async function judge(planned: PlannedCase, result: ExecutionResult, scratch: string): Promise<Outcome> {
  if (planned.kind === 'export') {
    if (result.error) return stopped(result.error);
    const values = Array.isArray(result.returnValue) ? (result.returnValue as unknown[]) : [];
    if (values.every((v) => v === 0 || v === 0n)) return passed;
    return failed(
      'mismatch',
      `returned ${values.map((v) => String(v)).join(', ')} (a test_* export passes by returning 0 or nothing)`,
    );
  }
  const expect = planned.spec.expect ?? {};
  const problems: string[] = [];
  if (expect.trap !== undefined) {
    if (!result.error)
      return failed('mismatch', `expected trap ${expect.trap}, but the run ended normally (${ranToEnd(result)})`);
    if (result.error.code !== expect.trap) {
      const got = stopped(result.error);
      return { ...got, reason: 'mismatch', message: `expected trap ${expect.trap}, got ${got.message}` };
    }
  } else if (result.error) return stopped(result.error);

  if (planned.kind === 'command') {
    const want = expect as NonNullable<CommandTestSpec['expect']>;
    const stderr = decoder.decode(result.stderr);
    const exitCode = want.exitCode ?? (want.trap === undefined ? 0 : undefined);
    if (exitCode !== undefined && result.exitCode !== exitCode)
      problems.push(
        `exit code: expected ${exitCode}, got ${result.exitCode}${stderr ? ` (stderr ${quote(stderr)})` : ''}`,
      );
    if (want.stdout !== undefined) problems.push(checkText('stdout', want.stdout, decoder.decode(result.stdout)) ?? '');
    if (want.stderr !== undefined) problems.push(checkText('stderr', want.stderr, stderr) ?? '');
    problems.push(...(await checkFiles(scratch, want.files)));
  } else if (planned.kind === 'json') {
    const want = expect as NonNullable<JsonTestSpec['expect']>;
    if (Object.hasOwn(want, 'output') && !result.error) problems.push(checkJson(want.output, result.returnValue) ?? '');
  } else {
    const want = expect as NonNullable<InvokeTestSpec['expect']>;
    if (want.returns !== undefined && !result.error)
      problems.push(checkReturns(want.returns, result.returnValue) ?? '');
  }
  const listed = problems.filter(Boolean);
  return listed.length ? failed('mismatch', listed.join('; ')) : passed;
}

/** What a load or execute that threw means for the test: a limit at load time fails it, a refusal is an error. */
function thrown(e: unknown, stage: 'load' | 'run'): Outcome {
  if (e instanceof BridgeError) {
    if (e.code !== undefined) return stopped(e.toJSON());
    return errored(stage === 'load' ? 'load' : 'invalid-test', e.message);
  }
  return errored(
    'host',
    `${stage === 'load' ? 'loading' : 'running'} the test failed: ${(e as Error)?.message ?? String(e)}`,
  );
}

async function execute(ctx: RunContext, planned: PlannedCase, scratch: string): Promise<Outcome> {
  if (planned.kind === 'export' && planned.params.length > 0)
    return errored(
      'invalid-test',
      `${planned.name} takes ${planned.params.length} parameter${planned.params.length === 1 ? '' : 's'} (${planned.params.join(', ')}); a test_* export must take none`,
    );
  try {
    await writeFiles(scratch, filesOf(planned));
  } catch (e) {
    return errored('host', `cannot write the test's files into ${scratch}: ${(e as Error).message}`);
  }
  const limits = limitsOf(ctx, planned);
  let handle: ComponentHandle;
  try {
    handle = await ctx.handle(limits.maxMemoryBytes, limits.fuel !== undefined);
  } catch (e) {
    return thrown(e, 'load');
  }
  const common: RequestCommon = {
    permissions: ComponentPermissions.forTesting(scratch),
    limits: {
      maxExecutionTimeMs: limits.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(limits.fuel === undefined ? {} : { fuel: limits.fuel }),
      ...(limits.maxOutputBytes === undefined ? {} : { maxOutputBytes: limits.maxOutputBytes }),
    },
    deterministic: ctx.spec.defaults?.deterministic ?? true,
  };
  let result: ExecutionResult;
  try {
    result = await ctx.client.execute(handle, requestFor(ctx, planned, common));
  } catch (e) {
    return thrown(e, 'run');
  }
  return judge(planned, result, scratch);
}

/** Runs one test in its own scratch directory (removed afterwards) on a fresh instance. */
export async function runCase(ctx: RunContext, planned: PlannedCase): Promise<TestCaseResult> {
  const started = performance.now();
  const finish = (outcome: Outcome): TestCaseResult => ({
    name: planned.name,
    kind: planned.kind as TestCaseKind,
    durationMs: performance.now() - started,
    ...outcome,
  });
  let scratch: string;
  try {
    scratch = await mkdtemp(join(ctx.scratchRoot, 'portalis-test-'));
  } catch (e) {
    return finish(errored('host', `cannot create a scratch directory in ${ctx.scratchRoot}: ${(e as Error).message}`));
  }
  try {
    return finish(await execute(ctx, planned, scratch));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
