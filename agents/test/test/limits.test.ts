import { afterAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../src/index.js';
import { fixturePath, quietClient, result, specPath } from './helpers.js';

const client = quietClient();
const agent = new TestAgent({ client });
afterAll(() => client.close());

describe('limits', () => {
  it('fail a test that reaches one, naming the limit code, and the next test still runs', async () => {
    const summary = await agent.run(fixturePath('guest-loop.wasm'), specPath('limits.yaml'));
    const timeout = result(summary, 'stopped by the timeout');
    expect(timeout).toMatchObject({ status: 'failed', reason: 'limit', trap: 'timeout' });
    expect(timeout.message).toMatch(/^limit timeout: .*300 ms/);
    expect(timeout.durationMs).toBeGreaterThanOrEqual(250);
    const fuel = result(summary, 'stopped by fuel');
    expect(fuel).toMatchObject({ status: 'failed', reason: 'limit', trap: 'out-of-fuel' });
    expect(fuel.message).toMatch(/^limit out-of-fuel: /);
    expect(result(summary, 'a timeout that was expected').status).toBe('passed');
  });

  it('stop a guest that prints without end at the output limit', async () => {
    const summary = await agent.run(fixturePath('guest-spam.wasm'), specPath('spam.yaml'));
    expect(result(summary, 'stopped by the output limit')).toMatchObject({
      status: 'failed',
      reason: 'limit',
      trap: 'output-limit',
    });
  });

  it('cap memory per test: a module whose memory cannot fit fails that test with memory-limit', async () => {
    const summary = await agent.run(fixturePath('guest-echo.wasm'), {
      tests: [
        { name: 'too small', limits: { maxMemoryBytes: 65536 } },
        { name: 'fits', limits: { maxMemoryBytes: 4 * 65536 }, expect: { stdout: 'guest-echo.wasm\n' } },
      ],
    });
    expect(result(summary, 'too small')).toMatchObject({ status: 'failed', reason: 'limit', trap: 'memory-limit' });
    expect(result(summary, 'fits').status).toBe('passed');
  });

  it('grow requests past the memory cap are refused, not fatal', async () => {
    const summary = await agent.run(fixturePath('guest-grow.wasm'), {
      tests: [{ name: 'grow', limits: { maxMemoryBytes: 4 * 65536 }, expect: { stdout: 'grow refused\n' } }],
    });
    expect(result(summary, 'grow').status).toBe('passed');
  });
});
