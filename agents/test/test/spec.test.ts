import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestSpec } from '../src/index.js';
import { loadTestSpec, parseTestSpec, TestAgent, TestSpecError, validateTestSpec } from '../src/index.js';
import { fixturePath, quietClient, specPath } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-test-specs-'));
function specFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The TestSpecError a call throws (fails when it throws nothing or something else). */
async function specError(fn: () => unknown): Promise<TestSpecError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TestSpecError);
    return e as TestSpecError;
  }
  throw new Error('expected a TestSpecError');
}

describe('reading specs', () => {
  it('reads YAML and JSON into the same shape', async () => {
    const yaml = await loadTestSpec(specPath('echo.yaml'));
    expect(yaml.defaults?.env).toEqual({ TEST_MODE: 'spec' });
    expect(yaml.tests?.map((t) => t.name)).toEqual([
      'prints its arguments',
      'echoes stdin after the environment',
      'matches a version pattern',
    ]);
    const json = await loadTestSpec(specPath('json.json'));
    expect(json.tests?.[0]).toEqual({
      name: 'echo returns its input',
      json: { name: 'echo', input: { a: [1, 2], b: 'text' } },
      expect: { output: { b: 'text', a: [1, 2] } },
    });
  });

  it('accepts an empty document and a spec without tests', () => {
    expect(parseTestSpec('')).toEqual({ tests: [] });
    expect(parseTestSpec('exportTests: true')).toEqual({ exportTests: true, tests: [] });
  });

  it('names the file and the field path of an unknown field', async () => {
    const e = await specError(() => loadTestSpec(specPath('bad/unknown-field.yaml')));
    expect(e.code).toBe('invalid');
    expect(e.issues).toEqual([{ path: 'tests[0].expect.stdot', message: 'unknown field' }]);
    expect(e.message).toBe(
      `${specPath('bad/unknown-field.yaml')}: invalid test spec: tests[0].expect.stdot: unknown field`,
    );
  });

  it('lists every bad value with its path', async () => {
    const e = await specError(() => loadTestSpec(specPath('bad/bad-values.yaml')));
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual([
      'defaults.limits.timeoutMs',
      'tests[0].expect.stdout.matches',
      'tests[1].files["../outside.txt"]',
      'tests[2].expect.trap',
      'tests[3].name',
    ]);
    const by = (path: string) => e.issues.find((i) => i.path === path)?.message;
    expect(by('tests[0].expect.stdout.matches')).toMatch(/^not a valid regular expression: /);
    expect(by('tests[1].files["../outside.txt"]')).toBe('must stay inside the scratch directory (no ..)');
    expect(by('tests[2].expect.trap')).toMatch(/^must be a trap code: out-of-fuel, timeout, /);
    expect(by('tests[3].name')).toBe('duplicate test name "bad regex" (also tests[0]); names must be unique');
  });

  it('refuses a test that is both a JSON call and an invoke, one that is not an object, and bad shapes', () => {
    const bad = (spec: unknown) => {
      try {
        validateTestSpec(spec, 'inline');
      } catch (e) {
        return (e as TestSpecError).issues;
      }
      throw new Error('expected the spec to be refused');
    };
    expect(bad({ tests: [{ name: 'x', json: { name: 'a', input: 1 }, invoke: { name: 'a' } }] })).toEqual([
      { path: 'tests[0]', message: 'has both json and invoke; a test is one command, one JSON call or one invoke' },
    ]);
    expect(bad({ tests: ['just a name'] })).toEqual([{ path: 'tests[0]', message: 'must be an object with a name' }]);
    expect(bad({ tests: [{ args: ['a'] }] })[0]?.path).toBe('tests[0].name');
    expect(bad({ tests: [{ name: 'n', args: [1] }] })[0]).toEqual({
      path: 'tests[0].args[0]',
      message: 'must be a string (quote numbers in YAML)',
    });
    expect(bad({ tests: [{ name: 'n', expect: { stdout: 5 } }] })[0]).toEqual({
      path: 'tests[0].expect.stdout',
      message: 'must be a string (exact), {contains: TEXT} or {matches: REGEX}',
    });
    expect(bad({ tests: [{ name: 'n', env: { 'BAD-NAME': 'x' } }] })[0]).toEqual({
      path: 'tests[0].env.BAD-NAME',
      message: 'must be a variable name (letters, digits and _)',
    });
    expect(bad({ tests: [{ name: 'n', files: { '/etc/passwd': 'x' } }] })[0]?.message).toBe(
      'must be a relative path with / separators',
    );
    expect(bad({ tests: [{ name: 'n', invoke: { name: 'add', args: ['two'] } }] })[0]?.path).toBe(
      'tests[0].invoke.args[0]',
    );
    expect(bad({ tests: [{ name: 'n', json: { name: 'a', input: 1 }, args: ['x'] }] })).toEqual([
      { path: 'tests[0].args', message: 'unknown field' },
    ]);
    expect(bad({ tests: {} })[0]?.path).toBe('tests');
    expect(bad({ test: [] })).toEqual([{ path: 'test', message: 'unknown field' }]);
    expect(bad([])[0]?.path).toBe('(top level)');
  });

  it('reports YAML syntax errors with the line', async () => {
    const file = specFile('syntax.yaml', 'tests:\n  - name: fine\n    args: [a, b\n');
    const e = await specError(() => loadTestSpec(file));
    expect(e.code).toBe('syntax');
    expect(e.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML or JSON: line \\d+, column \\d+: `),
    );
  });

  it('reports duplicate keys as a syntax error', async () => {
    const e = await specError(() => parseTestSpec('tests: []\ntests: []\n', 'dup.yaml'));
    expect(e.code).toBe('syntax');
    expect(e.message).toMatch(/^dup\.yaml: not valid YAML or JSON: line 2/);
  });

  it('says when the file is missing or is a directory', async () => {
    const missing = await specError(() => loadTestSpec(join(dir, 'nope.yaml')));
    expect(missing).toMatchObject({
      code: 'unreadable',
      message: `${join(dir, 'nope.yaml')}: cannot read the test spec: no such file`,
    });
    const folder = await specError(() => loadTestSpec(dir));
    expect(folder.message).toBe(`${dir}: cannot read the test spec: is a directory, not a spec file`);
  });
});

describe('the agent and bad specs', () => {
  const client = quietClient();
  afterAll(() => client.close());

  it('throws TestSpecError before running anything, for a file or an object', async () => {
    const agent = new TestAgent({ client });
    let started = 0;
    const onEvent = () => {
      started++;
    };
    await expect(
      agent.run(fixturePath('guest-echo.wasm'), specPath('bad/unknown-field.yaml'), { onEvent }),
    ).rejects.toThrow(/tests\[0\]\.expect\.stdot: unknown field/);
    const objectSpec = { tests: [{ name: 'x', expect: { exitCode: -1 } }] } as unknown as TestSpec;
    await expect(agent.run(fixturePath('guest-echo.wasm'), objectSpec, { onEvent })).rejects.toThrow(
      /^<spec>: invalid test spec: tests\[0\]\.expect\.exitCode: /,
    );
    expect(started).toBe(0);
  });
});
