import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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

// http-get.component.wasm (fixtures/components/http-get) GETs http://ARGV1/ARGV2 through
// wasi:http/outgoing-handler and prints "status N" and the body, or "handle error N" /
// "response error N" with the wasi:http error-code's case number (15 = HTTP-request-denied,
// 1 = DNS-error).
describe.runIf(wasmtime?.available)('outgoing wasi:http on the wasmtime engine', () => {
  let client: WassetteClient;
  let server: Server;
  let port: number;
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    client = new WassetteClient({ engine: 'wasmtime' });
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      // /stall never answers: the run's deadline must end it.
      if (req.url === '/stall') return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello ${req.url}\n`);
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await client.close();
  });

  const get = async (hosts: { host: string; port?: number }[], authority: string, path = '/', timeoutMs?: number) => {
    const h = await client.load(fixturePath('http-get.component.wasm'));
    const permissions = {
      ...ComponentPermissions.none(),
      allowNetwork: hosts.length > 0,
      allowedHosts: hosts.map((g) => ({ host: g.host, port: g.port })),
    };
    return client.execute(h, {
      kind: 'command',
      args: [authority, path],
      permissions,
      ...(timeoutMs ? { limits: { maxExecutionTimeMs: timeoutMs } } : {}),
    });
  };

  it('sends a granted request and returns the response to the guest', async () => {
    const r = await get([{ host: '127.0.0.1', port }], `127.0.0.1:${port}`, '/x?y=1');
    expect(r.exitCode, r.error?.message).toBe(0);
    expect(text(r.stdout)).toBe('status 200\nhello /x?y=1\n');
    expect(seen).toContain('/x?y=1');
  });

  it('denies every request when nothing is granted, and a host or port outside the grants', async () => {
    const before = seen.length;
    for (const hosts of [
      [],
      [{ host: '127.0.0.1', port: port + 1 }],
      [{ host: 'localhost' }],
      [{ host: '10.0.0.1' }],
    ]) {
      const r = await get(hosts, `127.0.0.1:${port}`, '/denied');
      expect(r.exitCode, JSON.stringify(hosts)).toBe(1);
      expect(text(r.stdout)).toBe('handle error 15\n');
    }
    // Nothing reached the server.
    expect(seen.slice(before)).not.toContain('/denied');
    // Names are matched as written: `localhost` grants requests to localhost, not to its address.
    const named = await get([{ host: 'localhost', port }], `localhost:${port}`, '/named');
    expect(text(named.stdout)).toBe('status 200\nhello /named\n');
  });

  it('a glob grants matching names only (the request then goes out: here DNS fails)', async () => {
    const sub = await get([{ host: '*.portalis.invalid' }], 'api.portalis.invalid', '/');
    expect(text(sub.stdout)).toBe('response error 1\n');
    const apex = await get([{ host: '*.portalis.invalid' }], 'portalis.invalid', '/');
    expect(text(apex.stdout)).toBe('handle error 15\n');
  });

  it('a server that never answers cannot hold the run past its timeout', async () => {
    const started = Date.now();
    const r = await get([{ host: '127.0.0.1', port }], `127.0.0.1:${port}`, '/stall', 500);
    // The request's own timeouts default to 600 s; the run's deadline cut them to what was left.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.trap).toBe('timeout');
    expect(seen).toContain('/stall');
  });
});
