import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CFrontend } from '@portalis/agent-transpiler';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultOutFile } from '../src/commands/convert.js';
import { cli, portalis, scratchDir } from './helpers.js';

const ADD_WAT =
  '(module\n  (func (export "add") (param i32 i32) (result i32)\n    local.get 0\n    local.get 1\n    i32.add))\n';
const clang = await new CFrontend().detect();

/** A failure the command reports: exactly one `portalis:` line first on stderr, and `code`. */
function expectFailure(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.stderr).toMatch(/^portalis: [^\n]+\n/);
  expect(r.stderr.split('\n')[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr).toBe(code);
}

describe('portalis convert', () => {
  it('writes SRC.wasm beside the source and prints one summary line', async () => {
    const { dir, write } = scratchDir('portalis-convert-');
    const src = write('add.wat', ADD_WAT);
    const r = await cli('convert', src);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^converted ${src} -> ${join(dir, 'add.wasm')} \\(wat, core module, \\d+ B, 1 export, valid\\) in \\d+ ms\\n$`,
      ),
    );
    expect(r.stderr).toBe('');
    expect(readFileSync(join(dir, 'add.wasm')).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it('-o chooses the output and --validate-wasm adds the validation block', async () => {
    const { dir, write } = scratchDir('portalis-convert-');
    const src = write('add.wat', ADD_WAT);
    const out = join(dir, 'build', 'calc.wasm');
    const r = await cli('convert', src, '-o', out, '--validate-wasm');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^converted .* -> ${out} `));
    expect(lines[1]).toMatch(new RegExp(`^valid    ${out} \\(core module, \\d+ B, sha256 [0-9a-f]{12}\\)$`));
    expect(existsSync(out)).toBe(true);
  });

  it('converts AssemblyScript: NAME.as.ts becomes NAME.wasm', async () => {
    const { dir, write } = scratchDir('portalis-convert-');
    const src = write('calc.as.ts', 'export function add(a: i32, b: i32): i32 {\n  return a + b;\n}\n');
    const r = await cli('convert', src);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(assemblyscript, core module, .*, valid\)/);
    expect(r.stdout).not.toMatch(/cached/);
    expect(existsSync(join(dir, 'calc.wasm'))).toBe(true);
  });

  it('--json prints the result without the bytes, with the report', async () => {
    const { write } = scratchDir('portalis-convert-');
    const src = write('add.wat', ADD_WAT);
    const r = await cli('convert', src, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      ok: true,
      source: src,
      lang: 'wat',
      frontend: 'wat',
      cached: false,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(j.bytes).toBeGreaterThan(8);
    expect(j.report.isValid).toBe(true);
    expect(j.wasm).toBeUndefined();
  });

  it('--list-frontends prints every frontend with its status and tool', async () => {
    const r = await cli('convert', '--list-frontends');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^FRONTEND\s+LANGUAGES\s+EXTENSIONS\s+STATUS\s+TOOL$/);
    expect(r.stdout).toMatch(/^wat\s+wat\s+\.wat \.wast\s+available\s+wabt \(\d+\.\d+\.\d+\)$/m);
    expect(r.stdout).toMatch(/^assemblyscript\s+assemblyscript\s+.*available/m);
    for (const name of ['c', 'rust', 'javascript'])
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s+.*\\s(available|missing)\\s`, 'm'));
    expect(r.stdout).toContain('A .ts file is AssemblyScript when');
  });

  it('--list-frontends shows why a toolchain is missing and what to install', async () => {
    process.env.PORTALIS_CLANG = '/nonexistent/clang';
    try {
      const r = await cli('convert', '--list-frontends');
      expect(r.stdout).toMatch(/^c\s+c\s+\.c\s+missing\s+\/nonexistent\/clang$/m);
      expect(r.stdout).toMatch(/^\s+why: \/nonexistent\/clang not found$/m);
      expect(r.stdout).toMatch(/^\s+install: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32/m);
      const j = JSON.parse((await cli('convert', '--list-frontends', '--json')).stdout);
      expect(j.find((f: { name: string }) => f.name === 'c')).toMatchObject({
        available: false,
        tool: '/nonexistent/clang',
      });
    } finally {
      delete process.env.PORTALIS_CLANG;
    }
  });

  describe('failures', () => {
    afterEach(() => {
      delete process.env.PORTALIS_CLANG;
    });

    it('no SRC is a usage error', async () => {
      const r = await cli('convert');
      expectFailure(r, 2, /^portalis: convert needs a SRC file \(or --list-frontends to see the toolchains\)$/);
      expect(r.stdout).toBe('');
    });

    it('a missing file is a usage error', async () => {
      const { dir } = scratchDir('portalis-convert-');
      expectFailure(await cli('convert', join(dir, 'nope.c')), 2, /^portalis: cannot read .*nope\.c: no such file$/);
    });

    it('an unknown extension is a usage error naming the known ones', async () => {
      const { write } = scratchDir('portalis-convert-');
      const r = await cli('convert', write('notes.txt', 'x'));
      expectFailure(
        r,
        2,
        /^portalis: cannot tell the language of .*notes\.txt from its extension \(\.txt\); known extensions: .*\.wat.*\.rs/,
      );
      expect(r.stdout).toBe('');
    });

    it('an unknown --lang is a usage error listing the choices', async () => {
      const { write } = scratchDir('portalis-convert-');
      const r = await cli('convert', write('a.wat', ADD_WAT), '--lang', 'cobol');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /argument 'cobol' is invalid\. Allowed choices are wat, assemblyscript, c, rust, javascript, typescript/,
      );
    });

    it('--lang compiles a file whose extension says nothing', async () => {
      const { dir, write } = scratchDir('portalis-convert-');
      const r = await cli('convert', write('add.txt', ADD_WAT), '--lang', 'wat');
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(dir, 'add.wasm'))).toBe(true);
    });

    it('an output equal to the source is refused', async () => {
      const { write } = scratchDir('portalis-convert-');
      const src = write('x.wasm', ADD_WAT);
      expectFailure(
        await cli('convert', src, '--lang', 'wat'),
        2,
        /would overwrite the source; choose another with -o$/,
      );
    });

    it('a missing toolchain exits 1 and names the packages to install', async () => {
      process.env.PORTALIS_CLANG = '/nonexistent/clang';
      const { dir, write } = scratchDir('portalis-convert-');
      const r = await cli('convert', write('main.c', 'int main(void) { return 0; }\n'));
      expectFailure(
        r,
        1,
        /^portalis: cannot compile .*main\.c: the c frontend is not available \(\/nonexistent\/clang not found\); install: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 \(Debian\/Ubuntu\)$/,
      );
      expect(existsSync(join(dir, 'main.wasm'))).toBe(false);
    });

    it('a compile error exits 1 with one line, then the cleaned diagnostics', async () => {
      const { dir, write } = scratchDir('portalis-convert-');
      const src = write('bad.wat', '(module\n  (func (export "f") (result i32)\n    i32.const))\n');
      const r = await cli('convert', src);
      expectFailure(r, 1, new RegExp(`^portalis: ${src} did not compile: ${src}:3:14: error: unexpected token`));
      const rest = r.stderr.split('\n').slice(1).join('\n');
      expect(rest).toMatch(new RegExp(`^${src}:3:14: error: unexpected token`));
      expect(rest).toContain('    i32.const))');
      expect(r.stderr).not.toContain(String.fromCharCode(27));
      expect(existsSync(join(dir, 'bad.wasm'))).toBe(false);
    });

    it('an invalid output exits 1, writes nothing, and --validate-wasm shows the report', async () => {
      const { dir, write } = scratchDir('portalis-convert-');
      const src = write('two.wat', ';; features: multi_memory\n(module (memory 1) (memory 1))\n');
      const r = await cli('convert', src, '--validate-wasm');
      expectFailure(
        r,
        1,
        /^portalis: the wat frontend produced invalid WebAssembly from .*two\.wat: unsupported-feature: .*; nothing was written$/,
      );
      expect(r.stdout).toMatch(/^INVALID {2}.*two\.wasm\n {2}error\[unsupported-feature\]/);
      expect(existsSync(join(dir, 'two.wasm'))).toBe(false);
    });

    it('--json reports a failure as JSON too', async () => {
      const { write } = scratchDir('portalis-convert-');
      const r = await cli('convert', write('bad.wat', '(module (func i32.const))'), '--json');
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ ok: false, error: { name: 'TranspileError', code: 'compile-failed' } });
      expect(j.error.details.diagnostics[0]).toMatchObject({ severity: 'error', line: 1 });
    });
  });

  describe.skipIf(!clang.available)(`C (${clang.available ? 'clang present' : `skipped: ${clang.reason}`})`, () => {
    it('converts a C command with --validate-wasm, as the README shows', async () => {
      const { dir, write } = scratchDir('portalis-convert-');
      const src = write('calc.c', '#include <stdio.h>\nint main(void) { printf("%d\\n", 2 + 2); return 0; }\n');
      const r = await cli('convert', src, '--validate-wasm');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^converted .*calc\.c -> .*calc\.wasm \(c, core module, .*valid\)/);
      expect(r.stdout).toMatch(/\nvalid {4}.*calc\.wasm/);
      const run = await cli('run-wasm', join(dir, 'calc.wasm'));
      expect(run.stdout).toBe('4\n');
    });
  });

  it('the built binary converts and fails cleanly, without a stack trace', () => {
    const { dir, write } = scratchDir('portalis-convert-');
    const src = write('add.wat', ADD_WAT);
    const ok = portalis('convert', src);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(dir, 'add.wasm'))).toBe(true);
    const bad = portalis('convert', write('x.unknown', ''));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^portalis: cannot tell the language of [^\n]+\n$/);
  });
});

describe('defaultOutFile', () => {
  it.each([
    ['calc.c', 'calc.wasm'],
    ['dir/plugin.as.ts', 'dir/plugin.wasm'],
    ['dir/app.mjs', 'dir/app.wasm'],
    ['noext', 'noext.wasm'],
  ])('%s -> %s', (src, out) => {
    expect(defaultOutFile(src)).toBe(out);
  });
});
