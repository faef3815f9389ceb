import { WassetteClient } from '@portalis/wassette-bridge';
import { describe, expect, it } from 'vitest';
import { cli, cliWith, fixturePath, TRAP } from './helpers.js';

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
