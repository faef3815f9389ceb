import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../src/index.js';
import { fixturePath, quietClient, result, specPath } from './helpers.js';

const client = quietClient();
const agent = new TestAgent({ client });
afterAll(() => client.close());

describe('command tests', () => {
  it('pass on exact, contains and matches expectations for stdout, stderr and exit code', async () => {
    const summary = await agent.run(fixturePath('guest-echo.wasm'), specPath('echo.yaml'));
    expect(summary.results.map((r) => [r.name, r.status, r.message])).toEqual([
      ['prints its arguments', 'passed', undefined],
      ['echoes stdin after the environment', 'passed', undefined],
      ['matches a version pattern', 'passed', undefined],
    ]);
    expect(summary).toMatchObject({
      artifact: fixturePath('guest-echo.wasm'),
      total: 3,
      passed: 3,
      failed: 0,
      errored: 0,
    });
    expect(summary.results.every((r) => r.kind === 'command' && r.durationMs >= 0)).toBe(true);
  });

  it('fail on each kind of stdout, stderr and exit code mismatch, saying what differs', async () => {
    const summary = await agent.run(fixturePath('guest-echo.wasm'), specPath('echo-mismatch.yaml'));
    expect(summary).toMatchObject({ total: 5, passed: 0, failed: 5, errored: 0 });
    for (const r of summary.results) expect(r.reason, r.name).toBe('mismatch');
    expect(result(summary, 'exact stdout differs').message).toBe(
      'stdout: expected "guest-echo.wasm\\nhullo\\n", got "guest-echo.wasm\\nhello\\n"',
    );
    expect(result(summary, 'stdout lacks the text').message).toBe(
      'stdout: expected to contain "goodbye", got "guest-echo.wasm\\nhello\\n"',
    );
    expect(result(summary, 'stdout does not match').message).toBe(
      'stdout: expected to match /^\\d+$/, got "guest-echo.wasm\\nhello\\n"',
    );
    expect(result(summary, 'exit code differs').message).toBe('exit code: expected 1, got 0');
    expect(result(summary, 'stderr differs').message).toBe('stderr: expected to contain "warning", got ""');
  });

  it('expect exit code 0 unless told otherwise, and quote stderr when the exit code differs', async () => {
    const summary = await agent.run(fixturePath('guest-exit.wasm'), specPath('exit.yaml'));
    expect(result(summary, 'says bye and exits 3').status).toBe('passed');
    expect(result(summary, 'a nonzero exit fails when no exit code is expected')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message: 'exit code: expected 0, got 3 (stderr "bye\\n")',
    });
    expect(result(summary, 'stderr is not what was expected').message).toBe(
      'stderr: expected "farewell\\n", got "bye\\n"',
    );
  });

  it('list every expectation that failed in one message', async () => {
    const summary = await agent.run(fixturePath('guest-exit.wasm'), {
      tests: [{ name: 'two problems', expect: { stdout: 'x', stderr: 'y', exitCode: 0 } }],
    });
    expect(result(summary, 'two problems').message).toBe(
      'exit code: expected 0, got 3 (stderr "bye\\n"); stdout: expected "x", got ""; stderr: expected "y", got "bye\\n"',
    );
  });
});

describe('the scratch directory', () => {
  it('holds the files a test declares, granted read-write at /tmp, fresh for every test', async () => {
    const summary = await agent.run(fixturePath('guest-fs.wasm'), specPath('fs.yaml'));
    expect(result(summary, 'reads a file the spec wrote').status).toBe('passed');
    expect(result(summary, 'writes a file the spec checks').status).toBe('passed');
    // The file the previous test wrote is gone: guest-fs exits with WASI's noent.
    expect(result(summary, 'another test does not see that file').status).toBe('passed');
    expect(result(summary, 'a file the guest did not write')).toMatchObject({
      status: 'failed',
      reason: 'mismatch',
      message:
        'file missing.txt: expected it in the scratch directory, but the run left none; file out.txt: expected "y", got "x"',
    });
  });

  it('is removed after each test', async () => {
    const root = mkdtempSync(join(tmpdir(), 'agent-test-root-'));
    const local = new TestAgent({ client, scratchRoot: root });
    const summary = await local.run(fixturePath('guest-fs.wasm'), specPath('fs.yaml'));
    expect(summary.total).toBe(4);
    expect(readdirSync(root)).toEqual([]);
  });

  it('that cannot be created makes each test an error that says where', async () => {
    const local = new TestAgent({ client, scratchRoot: join(tmpdir(), 'no-such-root-for-agent-test', 'deeper') });
    const summary = await local.run(fixturePath('guest-echo.wasm'), { tests: [{ name: 'any' }] });
    expect(result(summary, 'any')).toMatchObject({ status: 'error', reason: 'host' });
    expect(result(summary, 'any').message).toMatch(
      /^cannot create a scratch directory in .*no-such-root-for-agent-test/,
    );
  });
});

describe('the environment', () => {
  it('passes host variables named TEST_* only, plus what the spec sets', async () => {
    const envClient = quietClient({ TEST_FLAG: 'on', SECRET_TOKEN: 'hunter2', HOME: '/root', TESTING: 'no' });
    try {
      const summary = await new TestAgent({ client: envClient }).run(fixturePath('guest-echo.wasm'), {
        tests: [{ name: 'env', env: { APP_MODE: 'fast' }, expect: { stdout: { contains: 'TEST_FLAG=on' } } }],
      });
      expect(result(summary, 'env').status).toBe('passed');
      const seen = await new TestAgent({ client: envClient }).run(fixturePath('guest-echo.wasm'), {
        tests: [{ name: 'env', env: { APP_MODE: 'fast' }, expect: { stdout: '' } }],
      });
      // The mismatch message quotes the whole output: the granted variable and the spec's, nothing else.
      const printed = JSON.parse(result(seen, 'env').message?.replace(/^.*, got /, '') ?? '""') as string;
      expect(printed.split('\n').sort()).toEqual(['', 'APP_MODE=fast', 'TEST_FLAG=on', 'guest-echo.wasm']);
    } finally {
      await envClient.close();
    }
  });
});

describe('a command test on a module that is not a command', () => {
  it('is an error that says there is no _start', async () => {
    const summary = await agent.run(fixturePath('calc.wasm'), { tests: [{ name: 'run it' }] });
    expect(result(summary, 'run it')).toMatchObject({
      status: 'error',
      reason: 'invalid-test',
      message: 'calc.wasm is not a WASI command: it has no _start export',
    });
  });
});
