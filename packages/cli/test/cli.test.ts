import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixtureBytes, fixturePath, portalis } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'portalis-cli-'));
const write = (name: string, data: Uint8Array | string) => {
  const p = join(scratch, name);
  writeFileSync(p, data);
  return p;
};

describe('portalis validate-wasm', () => {
  it('exits 0 when every file is valid, and names each', async () => {
    const r = await cli('validate-wasm', fixturePath('calc.wasm'), fixturePath('greeter.component.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid {4}.*calc\.wasm \(core module/);
    expect(r.stdout).toMatch(/greeter\.component\.wasm \(component/);
    expect(r.stdout).toContain('2 files: 2 valid, 0 invalid');
  });

  it('exits 1 when any file is invalid, with the code, offset and reason', async () => {
    const bad = write('bad.wasm', fixtureBytes('calc.wasm').subarray(0, 40));
    const r = await cli('validate-wasm', fixturePath('calc.wasm'), bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INVALID {2}.*bad\.wasm\n {2}error\[truncated\] at byte \d+: /);
  });

  it('--json prints one report per file as an array', async () => {
    const missing = join(scratch, 'missing.wasm');
    const r = await cli('validate-wasm', '--json', fixturePath('calc.wasm'), missing);
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.stdout);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({ isValid: true, source: fixturePath('calc.wasm'), metadata: { kind: 'core' } });
    expect(reports[1]).toMatchObject({ isValid: false, errors: [{ code: 'not-found' }] });
  });

  it('validates many files in one call', async () => {
    const files = Array.from({ length: 120 }, (_, i) => write(`m${i}.wasm`, fixtureBytes('calc.wasm')));
    const r = await cli('validate-wasm', '--json', ...files);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(120);
  });

  it('--size-budget warns over the budget', async () => {
    const r = await cli('validate-wasm', '--size-budget', '100', fixturePath('calc.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning[size-budget]');
  });

  it('exits 2 on usage errors: no file, a bad flag, a bad size', async () => {
    expect((await cli('validate-wasm')).code).toBe(2);
    const flag = await cli('validate-wasm', '--frobnicate', fixturePath('calc.wasm'));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--frobnicate'/);
    const size = await cli('validate-wasm', '--size-budget', 'lots', fixturePath('calc.wasm'));
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/expected a size such as/);
  });

  it('reports a directory and a non-wasm file clearly', async () => {
    const r = await cli('validate-wasm', scratch, write('notes.txt', 'hello'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error[not-a-file]');
    expect(r.stdout).toContain('error[bad-magic]');
  });
});

describe('portalis wasm-info', () => {
  it('summarises a core module: exports with signatures and memory limits', async () => {
    const r = await cli('wasm-info', fixturePath('calc.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kind {10}core module/);
    expect(r.stdout).toMatch(/add +\(func \(param i32 i32\) \(result i32\)\)/);
    expect(r.stdout).toMatch(/memory 0 {6}min 1 page \(64\.0 KiB\), max 16 pages \(1\.0 MiB\)/);
  });

  it('shows WASI imports and capabilities', async () => {
    const r = await cli('wasm-info', fixturePath('hello-wasi.wasm'));
    expect(r.stdout).toMatch(/wasi {10}preview1/);
    expect(r.stdout).toMatch(/capabilities {2}stdio/);
    expect(r.stdout).toContain('wasi_snapshot_preview1.fd_write  (func (param i32 i32 i32 i32) (result i32))');
  });

  it('shows the WIT world of a component', async () => {
    const r = await cli('wasm-info', fixturePath('greeter.component.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('WIT world');
    expect(r.stdout).toContain('add: func(a: u32, b: u32) -> u32');
  });

  it('--json prints the report', async () => {
    const r = await cli('wasm-info', '--json', fixturePath('calc.wasm'));
    expect(JSON.parse(r.stdout).metadata.exports.length).toBe(6);
  });

  it('fails with one clear line for a missing file', async () => {
    const r = await cli('wasm-info', join(scratch, 'absent.wasm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^portalis wasm-info: .*absent\.wasm: no such file: .*; check the path\n$/);
  });
});

describe('the portalis binary', () => {
  it('--help lists the commands', () => {
    const r = portalis('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('validate-wasm');
    expect(r.stdout).toContain('wasm-info');
  });

  it('every command has --help', () => {
    for (const cmd of ['validate-wasm', 'wasm-info', 'run-wasm']) {
      const r = portalis(cmd, '--help');
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: portalis ${cmd}`);
    }
  });

  it('bad input exits non-zero with no stack trace', () => {
    const garbage = write('garbage.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a, 0xff, 0xff]));
    for (const args of [
      ['validate-wasm', garbage],
      ['wasm-info', garbage],
      ['wasm-info', scratch],
      ['no-such-command'],
    ]) {
      const r = portalis(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).not.toMatch(/\n\s+at .*:\d+:\d+/);
    }
  });
});
