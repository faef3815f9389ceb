import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixturePath, portalis, scratchDir } from './helpers.js';

const { dir, write } = scratchDir('portalis-test-cmd-');

const calcSpec = write(
  'calc.yaml',
  `exportTests: false
tests:
  - name: adds
    invoke: { name: add, args: [2, 3] }
    expect: { returns: 5 }
  - name: wrong sum
    invoke: { name: add, args: [2, 2] }
    expect: { returns: 5 }
  - name: divides by zero
    invoke: { name: div, args: [1, 0] }
  - name: no such export
    invoke: { name: nope }
`,
);
const passingSpec = write(
  'echo.json',
  JSON.stringify({ tests: [{ name: 'echo <&>', args: ['hi'], expect: { stdout: { contains: 'hi\n' } } }] }),
);

/** Exit 2 with exactly one `portalis: ...` line on stderr matching `pattern`, nothing on stdout. */
function expectUsage(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.stderr).toMatch(/^portalis: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
}

describe('portalis test', () => {
  it('prints PASS per test and a summary, and exits 0 when all pass', async () => {
    const r = await cli('test', fixturePath('guest-echo.wasm'), '--spec', passingSpec);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PASS {2}echo <&> \(\d+ ms\)$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${fixturePath('guest-echo.wasm').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 test, 1 passed, 0 failed, 0 errors \\(\\d+ ms\\)$`,
      ),
    );
  });

  it('prints FAIL and ERROR lines with their messages, and exits 1', async () => {
    const r = await cli('test', fixturePath('tested-calc.wasm'), '--spec', calcSpec, '--concurrency', '1');
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4).map((l) => l.replace(/ \(\d+ ms\)/, ''))).toEqual([
      'PASS  adds',
      'FAIL  wrong sum: returns: expected [5], got [4]',
      expect.stringMatching(/^FAIL {2}divides by zero: trap integer-divide-by-zero: /),
      expect.stringMatching(/^ERROR no such export: tested-calc\.wasm has no exported function "nope"/),
    ]);
    expect(lines[4]).toMatch(/: 4 tests, 1 passed, 2 failed, 1 error \(\d+ ms\)$/);
  });

  it('without --spec runs the test_* exports and says so', async () => {
    const r = await cli('test', fixturePath('tested-pass.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no --spec: running the test_\* exports of .*tested-pass\.wasm\n/);
    expect(r.stdout).toMatch(/^PASS {2}test_zero \(\d+ ms\)$/m);
    expect(r.stdout).toMatch(/^PASS {2}test_nothing \(\d+ ms\)$/m);
    expect(r.stdout).toMatch(/: 2 tests, 2 passed, 0 failed, 0 errors/);
  });

  it('exits 1 with a clear message when there is nothing to test', async () => {
    const bare = await cli('test', fixturePath('no-tests.wasm'));
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe(
      `portalis: nothing to test: ${fixturePath('no-tests.wasm')} exports no test_* functions; give a spec with --spec FILE\n`,
    );
    const empty = write('empty.yaml', 'tests: []\n');
    const withSpec = await cli('test', fixturePath('no-tests.wasm'), '--spec', empty);
    expect(withSpec.code).toBe(1);
    expect(withSpec.stderr).toBe(
      `portalis: nothing to test: ${empty} lists no tests and ${fixturePath('no-tests.wasm')} exports no test_* functions\n`,
    );
    const off = write('off.yaml', 'exportTests: false\n');
    const turnedOff = await cli('test', fixturePath('tested-pass.wasm'), '--spec', off);
    expect(turnedOff.stderr).toBe(
      `portalis: nothing to test: ${off} lists no tests and the spec turns the test_* exports off\n`,
    );
    expect(turnedOff.code).toBe(1);
  });

  it('--json prints the summary as JSON only', async () => {
    const r = await cli('test', fixturePath('tested-calc.wasm'), '--spec', calcSpec, '--json');
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      artifact: fixturePath('tested-calc.wasm'),
      total: 4,
      passed: 1,
      failed: 2,
      errored: 1,
    });
    expect(summary.results.map((x: { name: string; status: string }) => [x.name, x.status])).toEqual([
      ['adds', 'passed'],
      ['wrong sum', 'failed'],
      ['divides by zero', 'failed'],
      ['no such export', 'error'],
    ]);
  });

  it('--junit writes JUnit XML with failures, errors and escaped names', async () => {
    const out = join(dir, 'calc.xml');
    const r = await cli('test', fixturePath('tested-calc.wasm'), '--spec', calcSpec, '--junit', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`JUnit XML written to ${out}\n`);
    const xml = readFileSync(out, 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="portalis test" tests="4" failures="2" errors="1"/,
    );
    expect(xml).toContain('<failure message="returns: expected [5], got [4]" type="mismatch">');
    expect(xml).toMatch(/<failure message="trap integer-divide-by-zero: [^"]*" type="integer-divide-by-zero">/);
    expect(xml).toMatch(
      /<error message="tested-calc\.wasm has no exported function &quot;nope&quot;[^"]*" type="invalid-test">/,
    );
    const echoOut = join(dir, 'echo.xml');
    expect((await cli('test', fixturePath('guest-echo.wasm'), '--spec', passingSpec, '--junit', echoOut)).code).toBe(0);
    expect(readFileSync(echoOut, 'utf8')).toMatch(
      /<testcase name="echo &lt;&amp;&gt;" classname="[^"]+" time="\d+\.\d{3}"\/>/,
    );
  });

  it('exits 2 for a missing artifact, a bad spec, a bad --junit directory or a bad --concurrency', async () => {
    expectUsage(
      await cli('test', join(dir, 'missing.wasm')),
      /^portalis: no such artifact: .*missing\.wasm; give the path of a \.wasm file\n$/,
    );
    expectUsage(
      await cli('test', fixturePath('calc.wasm'), '--spec', join(dir, 'nope.yaml')),
      /nope\.yaml: cannot read the test spec: no such file/,
    );
    const bad = write('bad.yaml', 'tests:\n  - name: x\n    expect: { stdot: "a" }\n');
    expectUsage(
      await cli('test', fixturePath('calc.wasm'), '--spec', bad),
      /bad\.yaml: invalid test spec: tests\[0\]\.expect\.stdot: unknown field/,
    );
    expectUsage(
      await cli('test', fixturePath('calc.wasm'), '--junit', join(dir, 'no-dir', 'x.xml')),
      /--junit .*x\.xml: the directory .*no-dir does not exist; create it first/,
    );
    const conc = await cli('test', fixturePath('calc.wasm'), '--concurrency', '0');
    expect(conc.code).toBe(2);
    expect(conc.stderr).toMatch(/--concurrency.*expected a whole number of at least 1/);
    expect((await cli('test')).code).toBe(2);
  });

  it('an artifact that does not load is an error case, exit 1', async () => {
    const broken = write('broken.wasm', 'not wasm at all');
    const r = await cli('test', broken, '--spec', passingSpec);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^ERROR load \(\d+ ms\): the artifact did not load: broken\.wasm is not valid WebAssembly/m,
    );
    expect(r.stdout).toMatch(/^ERROR echo <&> \(0 ms\): not run: the artifact did not load$/m);
    expect(r.stdout).toMatch(/: 2 tests, 0 passed, 0 failed, 2 errors/);
  });

  it('the built binary: --help documents the exit codes, and a failing run exits 1 without a stack trace', () => {
    const help = portalis('test', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: portalis test [options] <ARTIFACT>');
    expect(help.stdout).toMatch(/Exit status:\n\s+0\s+every test passed/);
    const r = portalis('test', fixturePath('tested-calc.wasm'), '--spec', calcSpec);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}wrong sum/m);
    const bad = portalis('test', fixturePath('tested-calc.wasm'), '--spec', join(dir, 'nope.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });
});
