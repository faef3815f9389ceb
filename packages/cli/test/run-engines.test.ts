import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WassetteClient } from '@portalis/wassette-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliWith, expectUsage, fixturePath, scratchDir, TRAP } from './helpers.js';

const fx = fixturePath;
const wasmtime = new WassetteClient().engines().find((e) => e.name === 'wasmtime');

// The engine flag on a machine with the addon built (CI builds it and requires it; see
// select-engine.test.ts in the bridge). Without it, `--engine wasmtime` is an error:
describe('run-wasm --engine', () => {
  it('wasmtime without the addon is a usage error that says how to build it; with it, the command runs', async () => {
    const r = await cli('run-wasm', '--engine', 'wasmtime', fx('guest-echo.wasm'), 'a');
    if (wasmtime?.available) {
      expect(r).toMatchObject({ code: 0, stdout: 'guest-echo.wasm\na\n' });
    } else {
      expect(r.code).not.toBe(0);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(/wasmtime engine is not available.*npm run build:native/);
    }
  });

  it('--json names the engine that ran and, for auto, why it fell back if it did', async () => {
    const r = await cli('run-wasm', '--engine', 'auto', '--json', fx('hello-wasi.wasm'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.engine.name).toBe(wasmtime?.available ? 'wasmtime' : 'js');
    if (wasmtime?.available) expect(doc.engine.fallback).toBeNull();
    else expect(doc.engine.fallback).toMatch(/wasmtime unavailable/);
  });
});

describe.runIf(wasmtime?.available)('run-wasm on the wasmtime engine', () => {
  it('stops each limit with exit 134 and a line naming the flag', async () => {
    const fuel = await cli('run-wasm', '--engine', 'wasmtime', '--fuel', '10000', fx('guest-loop.wasm'));
    expect(fuel).toMatchObject({ code: TRAP });
    expect(fuel.stderr).toMatch(/out of fuel after 10000 units \(raise --fuel\)/);
    const time = await cli('run-wasm', '--engine', 'wasmtime', '--timeout', '0.2', fx('guest-loop.wasm'));
    expect(time.code).toBe(TRAP);
    expect(time.stderr).toMatch(/raise --timeout/);
  });

  it('calls an export and runs a command component with stdin', async () => {
    const add = await cli('run-wasm', '--engine', 'wasmtime', '--invoke', 'add', fx('calc.wasm'), '2', '3');
    expect(add).toMatchObject({ code: 0, stdout: '5\n' });
    const comp = await cliWith(
      { stdin: 'in\n' },
      'run-wasm',
      '--engine',
      'wasmtime',
      fx('guest-echo.command.component.wasm'),
      'x',
    );
    expect(comp).toMatchObject({ code: 0, stdout: 'guest-echo.command.component.wasm\nx\nin\n' });
  });
});

describe('run-wasm --allow-host', () => {
  it('refuses a malformed destination before running', async () => {
    for (const bad of ['a b', 'host:99999', 'http://example.com', 'exa_mple.com', ':80']) {
      expectUsage(await cli('run-wasm', '--allow-host', bad, fx('hello-wasi.wasm')), /--allow-host|HOST\[:PORT\]|port/);
    }
  });
});

describe.runIf(wasmtime?.available)('run-wasm: outgoing HTTP from a component', () => {
  let server: Server;
  let port: number;
  const { write } = scratchDir('portalis-run-http-');
  beforeAll(async () => {
    server = createServer((req, res) => res.end(`served ${req.url}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('reaches a host granted by --allow-host or by the policy, and nothing else', async () => {
    const run = (...flags: string[]) =>
      cli('run-wasm', '--engine', 'wasmtime', ...flags, fx('http-get.component.wasm'), `127.0.0.1:${port}`, '/cli');
    expect(await run()).toMatchObject({ code: 1, stdout: 'handle error 15\n' });
    expect(await run('--allow-host', `127.0.0.1:${port + 1}`)).toMatchObject({ code: 1, stdout: 'handle error 15\n' });
    expect(await run('--allow-host', `127.0.0.1:${port}`)).toMatchObject({
      code: 0,
      stdout: 'status 200\nserved /cli\n',
    });
    const policy = write('net.yaml', 'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: 127.0.0.1\n');
    expect(await run('--policy', policy)).toMatchObject({ code: 0, stdout: 'status 200\nserved /cli\n' });
  });
});
