import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError, ComponentPermissions, WassetteClient } from '../src/index.js';
import { fixturePath } from './helpers.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const wasmtime = new WassetteClient().engines().find((e) => e.name === 'wasmtime');

// Components run on the wasmtime engine only (the js engine refuses them at load, tested in
// execute.test.ts). Without the addon there is nothing to run them on; CI builds the addon and
// sets PORTALIS_REQUIRE_NATIVE=1, which makes select-engine.test.ts fail if it is missing.
describe.runIf(wasmtime?.available)('WASI preview2 command components on the wasmtime engine', () => {
  let client: WassetteClient;
  const scratch = mkdtempSync(join(tmpdir(), 'portalis-components-'));
  const load = (name: string, limits?: { fuel?: number }) =>
    client.load(fixturePath(`${name}.command.component.wasm`), limits ? { limits } : {});

  beforeAll(() => {
    client = new WassetteClient({ engine: 'wasmtime', hostEnv: { APP_NAME: 'portalis', SECRET: 'no' } });
  });
  afterAll(async () => {
    await client.close();
  });

  it('loads a component as kind component and runs wasi:cli/run', async () => {
    const h = await load('hello-wasi');
    expect(h.kind).toBe('component');
    const r = await client.execute(h, { kind: 'command' });
    expect(r.success).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(text(r.stdout)).toBe('hello from wasm\n');
  });

  it('passes args, env grants, explicit env and stdin as the core module gets them', async () => {
    const h = await load('guest-echo');
    const r = await client.execute(h, {
      kind: 'command',
      args: ['one'],
      env: { GREETING: 'hi' },
      stdin: 'from stdin\n',
      permissions: { ...ComponentPermissions.none(), allowEnv: true, allowedEnvVars: ['APP_*'] },
    });
    expect(text(r.stdout)).toBe('guest-echo.command.component.wasm\none\nAPP_NAME=portalis\nGREETING=hi\nfrom stdin\n');
  });

  it('reads a granted directory and nothing outside it', async () => {
    const data = join(scratch, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'note.txt'), 'granted file\n');
    writeFileSync(join(scratch, 'secret.txt'), 'outside\n');
    const h = await load('guest-fs');
    const permissions = {
      ...ComponentPermissions.none(),
      allowFs: true,
      allowedPaths: [{ hostPath: data, guestPath: '/data', readOnly: true }],
    };
    const ok = await client.execute(h, { kind: 'command', args: ['read', 'note.txt'], permissions });
    expect(ok.exitCode).toBe(0);
    expect(text(ok.stdout)).toBe('granted file\n');
    const out = await client.execute(h, { kind: 'command', args: ['read', '../secret.txt'], permissions });
    expect(out.exitCode).not.toBe(0);
    expect(text(out.stdout)).not.toContain('outside');
    const ro = await client.execute(h, { kind: 'command', args: ['write', 'new.txt'], stdin: 'x', permissions });
    expect(ro.exitCode).not.toBe(0);
  });

  it('stops a component at each limit with its code', async () => {
    const loop = await load('guest-loop');
    const timeout = await client.execute(loop, { kind: 'command', limits: { maxExecutionTimeMs: 100 } });
    expect(timeout.trap).toBe('timeout');
    expect(timeout.error?.kind).toBe('limit-exceeded');
    const metered = await load('guest-loop', { fuel: 100_000 });
    const fuel = await client.execute(metered, { kind: 'command' });
    expect(fuel.trap).toBe('out-of-fuel');
    expect(fuel.fuelConsumed).toBe(100_000);
    const spam = await client.execute(await load('guest-spam'), { kind: 'command', limits: { maxOutputBytes: 1000 } });
    expect(spam.trap).toBe('output-limit');
    expect(spam.stdout.length).toBe(1000);
    expect((await client.execute(await load('hello-wasi'), { kind: 'command' })).success).toBe(true);
  });

  it('refuses function and JSON calls on a component, before running', async () => {
    const h = await load('hello-wasi');
    const e = await client.execute(h, { kind: 'function', name: 'run' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeError);
    expect((e as BridgeError).kind).toBe('invalid-input');
    expect((e as BridgeError).message).toMatch(/is a component, which runs as a command/);
  });

  it('a component that is not a command is refused with a clear message', async () => {
    const h = await client.load(fixturePath('greeter.component.wasm'));
    const e = await client.execute(h, { kind: 'command' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BridgeError);
    expect((e as BridgeError).kind).toBe('invalid-input');
    expect((e as BridgeError).message).toMatch(/wasi:cli\/run/);
  });
});
