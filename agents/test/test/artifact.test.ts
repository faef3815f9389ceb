import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestEvent } from '../src/index.js';
import { TestAgent, TestAgentError } from '../src/index.js';
import { fixtureBytes, fixturePath, quietClient, specPath, watToWasm } from './helpers.js';

const client = quietClient();
const agent = new TestAgent({ client });
afterAll(() => client.close());

describe('artifacts', () => {
  it('a missing path throws TestAgentError', async () => {
    const missing = join(tmpdir(), 'no-such-artifact.wasm');
    await expect(agent.run(missing)).rejects.toThrow(
      new TestAgentError('artifact-unreadable', `no such artifact: ${missing}; give the path of a .wasm file`),
    );
    const folder = mkdtempSync(join(tmpdir(), 'agent-test-dir-'));
    await expect(agent.run(folder)).rejects.toMatchObject({
      code: 'artifact-unreadable',
      message: `${folder} is not a file; give the path of a .wasm file`,
    });
  });

  it('bytes run under the given name (argv[0] too) or module.wasm', async () => {
    const bytes = fixtureBytes('guest-echo.wasm');
    const named = await agent.run(
      bytes,
      { tests: [{ name: 'argv0', expect: { stdout: 'echo.wasm\n' } }] },
      { name: 'echo.wasm' },
    );
    expect(named).toMatchObject({ artifact: 'echo.wasm', passed: 1 });
    const anonymous = await agent.run(bytes, { tests: [{ name: 'argv0', expect: { stdout: 'module.wasm\n' } }] });
    expect(anonymous).toMatchObject({ artifact: 'module.wasm', passed: 1 });
  });

  it('that does not load give a `load` error first, then every spec test as not run', async () => {
    const bad = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01]);
    const events: TestEvent[] = [];
    const summary = await agent.run(bad, specPath('echo.yaml'), {
      name: 'broken.wasm',
      onEvent: (e) => events.push(e),
    });
    expect(summary).toMatchObject({ artifact: 'broken.wasm', total: 4, passed: 0, failed: 0, errored: 4 });
    expect(summary.results[0]).toMatchObject({ name: 'load', kind: 'load', status: 'error', reason: 'load' });
    expect(summary.results[0]?.message).toMatch(/^the artifact did not load: broken\.wasm is not valid WebAssembly/);
    expect(summary.results.slice(1).map((r) => [r.name, r.status, r.message])).toEqual([
      ['prints its arguments', 'error', 'not run: the artifact did not load'],
      ['echoes stdin after the environment', 'error', 'not run: the artifact did not load'],
      ['matches a version pattern', 'error', 'not run: the artifact did not load'],
    ]);
    expect(events.filter((e) => e.type === 'result')).toHaveLength(4);
  });

  it('with imports the sandbox does not provide is a load error', async () => {
    const bytes = await watToWasm('(module (import "env" "secret" (func)) (func (export "test_x")))');
    const summary = await agent.run(bytes);
    expect(summary).toMatchObject({ total: 1, errored: 1 });
    expect(summary.results[0]?.message).toMatch(/^the artifact did not load: .*env/);
  });

  it('a component on the js engine is a load error that says which engine runs components', async () => {
    const summary = await agent.run(fixturePath('greeter.component.wasm'));
    expect(summary.results).toHaveLength(1);
    expect(summary.results[0]?.message).toMatch(/component; the js engine runs core modules only/);
  });

  it('a bad concurrency is refused when the agent is made', () => {
    expect(() => new TestAgent({ client, concurrency: 0 })).toThrow(TestAgentError);
    expect(() => new TestAgent({ client, concurrency: 1.5 })).toThrow(
      /concurrency must be a whole number of at least 1, got 1.5/,
    );
  });

  it('an agent that made its own client closes it', async () => {
    const own = new TestAgent();
    const summary = await own.run(fixturePath('tested-pass.wasm'));
    expect(summary.passed).toBe(2);
    await own.close();
    // The client passed in stays usable after close.
    await new TestAgent({ client }).close();
    expect((await agent.run(fixturePath('tested-pass.wasm'))).passed).toBe(2);
  });
});
