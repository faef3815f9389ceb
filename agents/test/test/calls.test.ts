import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_MS, TestAgent } from '../src/index.js';
import { fixturePath, quietClient, result, specPath } from './helpers.js';

const client = quietClient();
const agent = new TestAgent({ client });
afterAll(() => client.close());

describe('JSON call tests', () => {
  it('pass when the reply deep-equals the expected output, in any key order', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), specPath('json.json'));
    expect(result(summary, 'echo returns its input')).toMatchObject({ status: 'passed', kind: 'json' });
    expect(result(summary, 'packed reply').status).toBe('passed');
  });

  it('fail on a different reply, naming the first path that differs', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), specPath('json.json'));
    expect(result(summary, 'output differs deep inside')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message: 'output.a[1]: expected 3, got 2 (whole output {"a":[1,2],"b":"text"})',
    });
  });

  it('fail on a trap with its code, and pass when that trap was expected', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), specPath('json.json'));
    expect(result(summary, 'a trap fails the test')).toMatchObject({
      status: 'failed',
      reason: 'trap',
      trap: 'unreachable',
    });
    expect(result(summary, 'a trap fails the test').message).toMatch(/^trap unreachable: /);
    expect(result(summary, 'an expected trap passes').status).toBe('passed');
  });

  it('fail when the guest replies with something that is not JSON (protocol-error)', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), specPath('json.json'));
    expect(result(summary, 'bad JSON from the guest')).toMatchObject({
      status: 'failed',
      reason: 'trap',
      trap: 'protocol-error',
    });
    expect(result(summary, 'bad JSON from the guest').message).toMatch(/^trap protocol-error: /);
  });

  it('report a call of a missing export as an error naming what the module exports', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), specPath('json.json'));
    const r = result(summary, 'no such export');
    expect(r).toMatchObject({ status: 'error', reason: 'invalid-test' });
    expect(r.message).toMatch(/no exported function "missing".*echo/);
    expect(summary).toMatchObject({ total: 7, passed: 3, failed: 3, errored: 1 });
  });

  it('compare keys with odd names and missing keys readably', async () => {
    const summary = await agent.run(fixturePath('guest-json.wasm'), {
      tests: [
        { name: 'odd key', json: { name: 'echo', input: { 'a b': 1 } }, expect: { output: { 'a b': 2 } } },
        { name: 'extra key', json: { name: 'echo', input: { a: 1, b: 2 } }, expect: { output: { a: 1 } } },
        { name: 'type', json: { name: 'echo', input: [1] }, expect: { output: { 0: 1 } } },
      ],
    });
    expect(result(summary, 'odd key').message).toBe('output["a b"]: expected 2, got 1 (whole output {"a b":1})');
    expect(result(summary, 'extra key').message).toBe(
      'output.b: expected (absent), got 2 (whole output {"a":1,"b":2})',
    );
    expect(result(summary, 'type').message).toBe('output: expected {"0":1}, got [1]');
  });
});

describe('function call tests', () => {
  it('pass on the expected results, with i64 values beyond 2^53 written as strings', async () => {
    const summary = await agent.run(fixturePath('tested-calc.wasm'), specPath('calc.yaml'));
    for (const name of [
      'adds',
      'a single value stands for a list of one',
      'an i64 beyond 2^53 as a string',
      'divides by zero',
    ])
      expect(result(summary, name).status, name).toBe('passed');
    expect(result(summary, 'adds').kind).toBe('invoke');
  });

  it('fail on other results, an expected trap that does not come, or another trap', async () => {
    const summary = await agent.run(fixturePath('tested-calc.wasm'), specPath('calc.yaml'));
    expect(result(summary, 'wrong sum')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message: 'returns: expected [5], got [4]',
    });
    expect(result(summary, 'expects a trap that does not come')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message: 'expected trap integer-divide-by-zero, but the run ended normally (returned [2])',
    });
    const wrong = result(summary, 'expects the wrong trap');
    expect(wrong).toMatchObject({ status: 'failed', reason: 'mismatch', trap: 'integer-divide-by-zero' });
    expect(wrong.message).toMatch(/^expected trap unreachable, got trap integer-divide-by-zero: /);
  });

  it('report wrong arguments as an error, and leave the test_* exports out when the spec says so', async () => {
    const summary = await agent.run(fixturePath('tested-calc.wasm'), specPath('calc.yaml'));
    expect(result(summary, 'wrong argument count')).toMatchObject({
      status: 'error',
      reason: 'invalid-test',
      message: '"add" takes 2 arguments (i32, i32), got 1',
    });
    expect(summary.results.some((r) => r.name.startsWith('test_'))).toBe(false);
    expect(summary).toMatchObject({ total: 8, passed: 4, failed: 3, errored: 1 });
  });
});

describe('test_* exports', () => {
  it('run each as its own case: 0 or nothing passes, nonzero fails, a trap fails with its code', async () => {
    const summary = await agent.run(fixturePath('tested-calc.wasm'), undefined, { name: 'calc' });
    expect(summary.artifact).toBe('calc');
    expect(summary.results.map((r) => r.name)).toEqual([
      'test_add_ok',
      'test_div_ok',
      'test_i64_ok',
      'test_fails',
      'test_traps',
      'test_needs_arg',
      'test_spins',
    ]);
    expect(summary.results.every((r) => r.kind === 'export')).toBe(true);
    for (const name of ['test_add_ok', 'test_div_ok', 'test_i64_ok'])
      expect(result(summary, name).status).toBe('passed');
    expect(result(summary, 'test_fails')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message: 'returned 1 (a test_* export passes by returning 0 or nothing)',
    });
    expect(result(summary, 'test_traps')).toMatchObject({ status: 'failed', reason: 'trap', trap: 'unreachable' });
    expect(result(summary, 'test_needs_arg')).toMatchObject({
      status: 'error',
      reason: 'invalid-test',
      message: 'test_needs_arg takes 1 parameter (i32); a test_* export must take none',
    });
    // Nothing set a timeout, so the default (DEFAULT_TIMEOUT_MS, 10 s) stopped the endless loop.
    const spins = result(summary, 'test_spins');
    expect(spins).toMatchObject({ status: 'failed', reason: 'limit', trap: 'timeout' });
    expect(spins.message).toMatch(/^limit timeout: .*10000 ms/);
    expect(spins.durationMs).toBeGreaterThanOrEqual(DEFAULT_TIMEOUT_MS - 100);
  });

  it('run after the spec tests and under its default limits', async () => {
    const summary = await agent.run(fixturePath('tested-calc.wasm'), {
      defaults: { limits: { timeoutMs: 200 } },
      tests: [{ name: 'adds', invoke: { name: 'add', args: [1, 1] }, expect: { returns: 2 } }],
    });
    expect(summary.results[0]?.name).toBe('adds');
    expect(summary.results.slice(1).map((r) => r.name)).toContain('test_spins');
    expect(result(summary, 'test_spins')).toMatchObject({ status: 'failed', reason: 'limit', trap: 'timeout' });
    expect(summary).toMatchObject({ total: 8, passed: 4, failed: 3, errored: 1 });
  });

  it('all passing give a clean summary', async () => {
    const summary = await agent.run(fixturePath('tested-pass.wasm'));
    expect(summary).toMatchObject({ total: 2, passed: 2, failed: 0, errored: 0 });
    expect(summary.results.map((r) => [r.name, r.status])).toEqual([
      ['test_zero', 'passed'],
      ['test_nothing', 'passed'],
    ]);
  });

  it('none and no spec make an empty summary', async () => {
    const summary = await agent.run(fixturePath('no-tests.wasm'));
    expect(summary).toMatchObject({ total: 0, passed: 0, failed: 0, errored: 0, results: [] });
  });
});
