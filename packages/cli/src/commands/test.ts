import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { TestCaseResult, TestSpec, TestSummary } from '@portalis/agent-test';
import { loadTestSpec, TestAgent, TestAgentError, TestSpecError, toJUnitXml } from '@portalis/agent-test';
import { loadWassetteConfig, WassetteClient } from '@portalis/wassette-bridge';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CliIo } from '../io.js';
import { ExitCode, UsageError } from '../io.js';

export interface TestFlags {
  spec?: string;
  junit?: string;
  json?: boolean;
  concurrency?: number;
}

function positiveCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const HELP_AFTER = `
Each test runs on a fresh instance in the sandbox with the testing preset: its own scratch
directory (read-write at /tmp, holding the spec's files) and host variables named TEST_* only.
Without --spec, the artifact's exported test_* functions (no parameters) are the tests: returning
0 or nothing passes, anything else or a trap fails. The spec format is in agents/test/README.md.

Exit status:
  0   every test passed
  1   a test failed or could not run, or there was nothing to test
  2   bad usage: a missing artifact, a spec that cannot be read or is invalid, a bad flag

Examples:
  portalis test calc.wasm --spec calc.test.yaml --junit reports/calc.xml
  portalis test calc.wasm --concurrency 1
`;

const STATUS_WORD: Record<TestCaseResult['status'], string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR' };

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

/** `PASS  name (3 ms)`, or `FAIL  name (3 ms): why`. */
export function formatResult(r: TestCaseResult): string {
  const head = `${STATUS_WORD[r.status].padEnd(6)}${oneLine(r.name)} (${Math.round(r.durationMs)} ms)`;
  return r.message === undefined ? `${head}\n` : `${head}: ${oneLine(r.message)}\n`;
}

export function formatSummary(s: TestSummary): string {
  const parts = [`${s.passed} passed`, `${s.failed} failed`, `${s.errored} error${s.errored === 1 ? '' : 's'}`];
  return `${s.artifact}: ${s.total} test${s.total === 1 ? '' : 's'}, ${parts.join(', ')} (${Math.round(s.durationMs)} ms)\n`;
}

function nothingToTest(artifact: string, specFile: string | undefined, spec: TestSpec | undefined): string {
  if (!specFile) return `nothing to test: ${artifact} exports no test_* functions; give a spec with --spec FILE`;
  const exportsPart =
    spec?.exportTests === false ? 'the spec turns the test_* exports off' : `${artifact} exports no test_* functions`;
  return `nothing to test: ${specFile} lists no tests and ${exportsPart}`;
}

function checkJunitTarget(out: string): void {
  const dir = dirname(resolve(out));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir) throw new UsageError(`--junit ${out}: the directory ${dir} does not exist; create it first`);
}

async function testCommand(artifact: string, flags: TestFlags, io: CliIo): Promise<number> {
  if (flags.junit !== undefined) checkJunitTarget(flags.junit);
  const spec = flags.spec === undefined ? undefined : await loadTestSpec(flags.spec);
  const client = new WassetteClient(loadWassetteConfig());
  try {
    const agent = new TestAgent({
      client,
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
    });
    // Said once the first test starts, so that a run refused up front prints nothing on stdout.
    let noted = Boolean(flags.json || spec);
    const summary = await agent.run(artifact, spec, {
      onEvent: (e) => {
        if (flags.json) return;
        if (!noted) io.stdout(`no --spec: running the test_* exports of ${artifact}\n`);
        noted = true;
        if (e.type === 'result') io.stdout(formatResult(e.result));
      },
    });
    if (flags.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    else io.stdout(formatSummary(summary));
    if (flags.junit !== undefined) {
      try {
        await writeFile(flags.junit, toJUnitXml(summary));
      } catch (e) {
        throw new UsageError(
          `cannot write the JUnit report to ${flags.junit}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      if (!flags.json) io.stdout(`JUnit XML written to ${flags.junit}\n`);
    }
    if (summary.total === 0) {
      io.stderr(`portalis: ${nothingToTest(artifact, flags.spec, spec)}\n`);
      return ExitCode.failed;
    }
    return summary.failed + summary.errored === 0 ? ExitCode.ok : ExitCode.failed;
  } finally {
    await client.close();
  }
}

/** Registers `test` on the program; `setExit` receives the exit code. */
export function registerTestCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('test')
    .description(
      "Run a wasm artifact's tests in the sandbox: a declarative spec (YAML or JSON) and its exported test_* functions; exit 0 if all pass, 1 if any fails, 2 on a usage error.",
    )
    .argument('<ARTIFACT>', 'a wasm module')
    .option('--spec <FILE>', 'a test spec (YAML or JSON); without it, only the test_* exports run')
    .option('--junit <OUT>', 'also write the results as JUnit XML to OUT')
    .option('--json', 'print the summary as JSON instead of one line per test')
    .option('--concurrency <N>', 'how many tests run at once (default: the number of CPUs)', positiveCount)
    .addHelpText('after', HELP_AFTER)
    .action(async (artifact: string, flags: TestFlags) => {
      try {
        setExit(await testCommand(artifact, flags, io));
      } catch (e) {
        // A spec or an artifact that cannot be used is bad input: one line, exit 2.
        if (e instanceof TestSpecError || e instanceof TestAgentError) throw new UsageError(e.message);
        throw e;
      }
    });
}
