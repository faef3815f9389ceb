import { WassetteClient } from '@portalis/wassette-bridge';
import { afterAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../src/index.js';
import { fixturePath, result, specPath } from './helpers.js';

// `auto` is wasmtime where the addon loads (asking for wasmtime outright throws where it does not).
const wasmtime = new WassetteClient({ engine: 'auto', hostEnv: {} });
const js = new WassetteClient({ engine: 'js', hostEnv: {} });
afterAll(async () => {
  await js.close();
  await wasmtime.close();
});

const statuses = async (client: WassetteClient, artifact: string, spec: string) =>
  (await new TestAgent({ client }).run(fixturePath(artifact), specPath(spec))).results.map((r) => [
    r.name,
    r.status,
    r.reason,
    r.trap,
  ]);

// The addon is built by `npm run build:native`; CI builds it and sets PORTALIS_REQUIRE_NATIVE=1,
// which makes the bridge's probe test fail if it is missing, so these never skip silently there.
const absent = wasmtime.engine.name === 'wasmtime' ? undefined : wasmtime.engineFallback;
describe.skipIf(absent !== undefined)(
  absent ? `the same outcomes on both engines (skipped: ${absent})` : 'the same outcomes on both engines',
  () => {
    it.each([
      ['guest-echo.wasm', 'echo.yaml'],
      ['guest-echo.wasm', 'echo-mismatch.yaml'],
      ['guest-exit.wasm', 'exit.yaml'],
      ['guest-fs.wasm', 'fs.yaml'],
      ['guest-json.wasm', 'json.json'],
      ['tested-calc.wasm', 'calc.yaml'],
      ['guest-loop.wasm', 'limits.yaml'],
    ])('%s with %s', async (artifact, spec) => {
      expect(await statuses(wasmtime, artifact, spec)).toEqual(await statuses(js, artifact, spec));
    });

    it('a command component runs command tests on wasmtime', async () => {
      const summary = await new TestAgent({ client: wasmtime }).run(fixturePath('guest-echo.command.component.wasm'), {
        tests: [{ name: 'echo', args: ['hi'], stdin: 'in\n', expect: { stdout: { contains: 'hi\nin\n' } } }],
      });
      expect(result(summary, 'echo').status).toBe('passed');
      expect(summary.total).toBe(1);
    });
  },
);

describe('determinism', () => {
  const entropy = async (deterministic: boolean) => {
    const summary = await new TestAgent({ client: js }).run(fixturePath('guest-entropy.wasm'), {
      defaults: { deterministic },
      tests: [{ name: 'entropy', expect: { stdout: '' } }],
    });
    return result(summary, 'entropy').message;
  };

  it('is on by default: random bytes and clocks print the same in every run', async () => {
    const first = await entropy(true);
    expect(first).toMatch(/^stdout: expected "", got "[0-9a-f]+/);
    expect(await entropy(true)).toBe(first);
    const byDefault = await new TestAgent({ client: js }).run(fixturePath('guest-entropy.wasm'), {
      tests: [{ name: 'entropy', expect: { stdout: '' } }],
    });
    expect(result(byDefault, 'entropy').message).toBe(first);
  });

  it('can be turned off in the spec defaults', async () => {
    expect(await entropy(false)).not.toBe(await entropy(false));
  });
});
