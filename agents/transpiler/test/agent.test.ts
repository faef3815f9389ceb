import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AssemblyScriptFrontend,
  CFrontend,
  defaultFrontends,
  type Frontend,
  JavaScriptFrontend,
  RustFrontend,
  TranspilerAgent,
  WatFrontend,
} from '../src/index.js';
import { client, expectClean, fixturePath, rejectsWith, scratch, text } from './helpers.js';

afterAll(() => client.close());

const agent = new TranspilerAgent({ client });

const ADD_WAT = `(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
`;

describe('frontends()', () => {
  it('lists every frontend with its languages, extensions, availability and tool', async () => {
    const infos = await agent.frontends();
    expect(infos.map((f) => f.name)).toEqual(['wat', 'assemblyscript', 'c', 'rust', 'javascript']);
    expect(infos.find((f) => f.name === 'javascript')?.langs).toEqual(['javascript', 'typescript']);
    for (const f of infos) {
      expect(typeof f.available).toBe('boolean');
      expect(f.tool).toBeTruthy();
      if (!f.available) {
        expect(f.reason).toBeTruthy();
        expect(f.install).toBeTruthy();
      }
    }
    // The npm-only frontends work everywhere the repository's dependencies are installed.
    expect(infos.find((f) => f.name === 'wat')).toMatchObject({
      available: true,
      tool: 'wabt',
      version: expect.any(String),
    });
    expect(infos.find((f) => f.name === 'assemblyscript')).toMatchObject({
      available: true,
      version: expect.stringMatching(/^\d+\.\d+/),
    });
  });

  it('reports a tool that does not exist as unavailable, with what to install', async () => {
    const missing = new TranspilerAgent({
      frontends: [
        new AssemblyScriptFrontend({ asc: '/nonexistent/asc.js' }),
        new CFrontend({ clang: '/nonexistent/clang' }),
        new RustFrontend({ rustc: '/nonexistent/rustc' }),
        new JavaScriptFrontend({ componentizeDir: '/nonexistent/componentize-js' }),
        new WatFrontend({ packageName: 'wabt-does-not-exist' }),
      ],
    });
    const infos = await missing.frontends();
    expect(infos.every((f) => !f.available)).toBe(true);
    const by = Object.fromEntries(infos.map((f) => [f.name, f]));
    expect(by.c?.install).toMatch(/clang lld wasi-libc libclang-rt-dev-wasm32/);
    expect(by.c?.reason).toBe('/nonexistent/clang not found');
    expect(by.rust?.install).toMatch(/rustc libstd-rust-dev-wasm32/);
    expect(by.rust?.reason).toMatch(/\/nonexistent\/rustc: not found/);
    expect(by.assemblyscript).toMatchObject({
      install: 'npm install assemblyscript',
      reason: '/nonexistent/asc.js does not exist',
    });
    expect(by.javascript?.install).toMatch(/componentize-js/);
    expect(by.wat?.reason).toBe('wabt-does-not-exist is not installed');
  });

  it('PORTALIS_ASC, PORTALIS_CLANG and PORTALIS_RUSTC point the default frontends at their tools', async () => {
    const env = { PORTALIS_ASC: '/env/asc.js', PORTALIS_CLANG: '/env/clang', PORTALIS_RUSTC: '/env/rustc' };
    const infos = await new TranspilerAgent({ frontends: defaultFrontends({}, env) }).frontends();
    const by = Object.fromEntries(infos.map((f) => [f.name, f]));
    expect(by.assemblyscript?.tool).toBe('/env/asc.js');
    expect(by.c?.tool).toBe('/env/clang');
    expect(by.rust?.tool).toBe('/env/rustc');
    // An explicit tool wins over the environment.
    const [, asc] = defaultFrontends({ assemblyscript: { asc: '/given/asc.js' } }, env);
    expect((await asc?.detect())?.tool).toBe('/given/asc.js');
  });

  it('componentize-js that is incomplete or does not load makes the JavaScript frontend unavailable, not a crash', async () => {
    const { dir, write } = scratch();
    const { mkdirSync } = await import('node:fs');
    const pkg = join(dir, 'node_modules', '@bytecodealliance', 'componentize-js');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    write(
      'node_modules/@bytecodealliance/componentize-js/package.json',
      '{"name":"@bytecodealliance/componentize-js","version":"9.9.9","type":"module"}',
    );
    write('node_modules/@bytecodealliance/componentize-js/src/componentize.js', "throw new Error('broken build');\n");
    const noShim = await new JavaScriptFrontend({ componentizeDir: pkg }).detect();
    expect(noShim).toMatchObject({ available: false, version: '9.9.9' });
    expect(noShim.reason).toBe(
      '@bytecodealliance/preview2-shim (needed by @bytecodealliance/componentize-js at run time) is not installed',
    );

    const shim = join(dir, 'node_modules', '@bytecodealliance', 'preview2-shim');
    mkdirSync(shim, { recursive: true });
    write(
      'node_modules/@bytecodealliance/preview2-shim/package.json',
      '{"name":"@bytecodealliance/preview2-shim","version":"0.0.1","type":"module","exports":{"./*":"./*.js"}}',
    );
    write('node_modules/@bytecodealliance/preview2-shim/filesystem.js', 'export const _setPreopens = () => {};\n');
    const broken = new JavaScriptFrontend({ componentizeDir: pkg });
    const d = await broken.detect();
    expect(d).toMatchObject({ available: false, install: expect.stringContaining('componentize-js') });
    expect(d.reason).toBe('@bytecodealliance/componentize-js does not load: broken build');
    const src = write('app.js', 'export function analyze(s) { return s; }');
    const e = await rejectsWith(new TranspilerAgent({ frontends: [broken] }).transpile(src), 'toolchain-missing');
    expect(e.message).toMatch(
      /the javascript frontend is not available \(@bytecodealliance\/componentize-js does not load: broken build\)/,
    );
  });

  it('a frontend whose detect() throws is listed as unavailable with the reason', async () => {
    const broken: Frontend = {
      name: 'broken',
      langs: ['wat'],
      extensions: ['.wat'],
      detect: () => Promise.reject(new Error('probe crashed')),
      compile: () => Promise.reject(new Error('unused')),
    };
    const infos = await new TranspilerAgent({ frontends: [broken] }).frontends();
    expect(infos[0]).toMatchObject({ available: false, reason: 'detection failed: probe crashed' });
  });
});

describe('WAT', () => {
  it('compiles, validates through the bridge and writes the output file', async () => {
    const { write, dir } = scratch();
    const src = write('add.wat', ADD_WAT);
    const out = join(dir, 'out', 'add.wasm');
    const r = await agent.transpile(src, { outFile: out });
    expect(r).toMatchObject({ source: src, lang: 'wat', frontend: 'wat', outFile: out, cached: false });
    expect(r.report.isValid).toBe(true);
    expect(r.report.source).toBe(out);
    expect(r.report.metadata?.exports.map((e) => e.name)).toEqual(['add']);
    expect(new Uint8Array(readFileSync(out))).toEqual(r.wasm);
    const h = await client.load(r.wasm);
    expect((await client.execute(h, { kind: 'function', name: 'add', args: [2, 3] })).returnValue).toEqual([5]);
  });

  it('builds a WASI command that runs in the sandbox', async () => {
    const r = await agent.transpile(join(fixturePath('..'), '..', 'fixtures', 'wat', 'hello-wasi.wat'));
    const run = await client.execute(await client.load(r.wasm), { kind: 'command' });
    expect(text(run.stdout)).toBe('hello from wasm\n');
  });

  it('a compile error names the file as given, the line and the column', async () => {
    const { write } = scratch();
    const src = write('bad.wat', '(module\n  (func (export "f") (result i32)\n    i32.const))\n');
    const e = await rejectsWith(agent.transpile(src), 'compile-failed');
    expect(e.message).toMatch(/^.*bad\.wat did not compile: .*bad\.wat:3:\d+: error: /);
    expect(e.details.diagnostics).toEqual([expect.objectContaining({ severity: 'error', line: 3, file: src })]);
    expect(String(e.details.text)).toContain('i32.const');
    expectClean(String(e.details.text));
  });

  it('an output the bridge rejects is invalid-output, with the report, and nothing is written', async () => {
    const { write, dir } = scratch();
    // wabt accepts multi-memory when asked; the bridge's engine (V8 in Node 20) cannot run it.
    const src = write('two.wat', ';; features: multi_memory\n(module (memory 1) (memory 1))\n');
    const out = join(dir, 'two.wasm');
    const e = await rejectsWith(agent.transpile(src, { outFile: out }), 'invalid-output');
    expect(e.message).toMatch(/produced invalid WebAssembly .*unsupported-feature/);
    expect(e.details.report).toMatchObject({
      isValid: false,
      errors: [expect.objectContaining({ code: 'unsupported-feature' })],
    });
    expect(existsSync(out)).toBe(false);
  });

  it('with validate: false an invalid output is returned and written with its report', async () => {
    const { write, dir } = scratch();
    const src = write('two.wat', ';; features: multi_memory\n(module (memory 1) (memory 1))\n');
    const out = join(dir, 'two.wasm');
    const r = await agent.transpile(src, { outFile: out, validate: false });
    expect(r.report.isValid).toBe(false);
    expect(existsSync(out)).toBe(true);
  });

  it('a second transpile of the same source is a cache hit; a changed neighbour is not', async () => {
    const { write } = scratch();
    const src = write('add.wat', ADD_WAT);
    const fresh = new TranspilerAgent({ client });
    expect((await fresh.transpile(src)).cached).toBe(false);
    const again = await fresh.transpile(src);
    expect(again.cached).toBe(true);
    expect(again.report.isValid).toBe(true);
    write('helper.wat', '(module)');
    expect((await fresh.transpile(src)).cached).toBe(false);
  });

  it('the disk cache serves a new agent, and its hit is validated again', async () => {
    const { write, dir } = scratch();
    const src = write('add.wat', ADD_WAT);
    const cacheDir = join(dir, 'cache');
    await new TranspilerAgent({ client, cacheDir }).transpile(src);
    const r = await new TranspilerAgent({ client, cacheDir }).transpile(src);
    expect(r.cached).toBe(true);
    expect(r.report.isValid).toBe(true);
    expect(r.report.metadata?.exports.map((e) => e.name)).toEqual(['add']);
  });
});

describe('AssemblyScript', () => {
  it('compiles the repository plugin and the output answers a JSON call', async () => {
    const r = await agent.transpile(join(fixturePath('..'), '..', 'fixtures', 'as', 'plugin.ts'));
    expect(r).toMatchObject({ lang: 'assemblyscript', frontend: 'assemblyscript' });
    expect(r.report.metadata?.imports).toEqual([]);
    const run = await client.execute(await client.load(r.wasm), { kind: 'json', name: 'analyze', input: { a: 'x' } });
    expect(run.returnValue).toEqual({ bytes: 9, lines: 1, strings: 2 });
  });

  it('asserts become traps, not an env.abort import the sandbox lacks', async () => {
    const { write } = scratch();
    const src = write(
      'check.ts',
      'export function check(n: i32): i32 {\n  assert(n > 0, "n must be positive");\n  return n;\n}\n',
    );
    const r = await agent.transpile(src);
    expect(r.report.metadata?.imports).toEqual([]);
    const h = await client.load(r.wasm);
    expect((await client.execute(h, { kind: 'function', name: 'check', args: [4] })).returnValue).toEqual([4]);
    expect((await client.execute(h, { kind: 'function', name: 'check', args: [-1] })).trap).toBe('unreachable');
  });

  it('a compile error is cleaned: file as given, line, column, code, excerpt, no colours or summary', async () => {
    const { write, dir } = scratch();
    const src = write('wrong.ts', 'export function f(): i32 {\n  let s: i32 = "text";\n  return s;\n}\n');
    const e = await rejectsWith(agent.transpile(src), 'compile-failed');
    expect(e.details.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'TS2322', file: src, line: 2, column: 16 }),
    ]);
    expect(String(e.details.text)).toContain('let s: i32 = "text";');
    expectClean(String(e.details.text), [join(dir, '..', 'portalis-assemblyscript')]);
  });
});

describe('errors before compiling', () => {
  it('a missing source or a directory is bad-input', async () => {
    const { dir } = scratch();
    expect((await rejectsWith(agent.transpile(join(dir, 'nope.wat')), 'bad-input')).message).toMatch(/no such file/);
    expect((await rejectsWith(agent.transpile(dir), 'bad-input')).message).toMatch(/not a file/);
  });

  it('an unknown extension is unknown-language and lists the known ones', async () => {
    const { write } = scratch();
    const src = write('notes.txt', 'hello');
    const e = await rejectsWith(agent.transpile(src), 'unknown-language');
    expect(e.message).toMatch(
      /cannot tell the language of .*notes\.txt from its extension \(\.txt\); known extensions: \.wat/,
    );
    expect(e.details).toMatchObject({ extension: '.txt' });
  });

  it('--lang overrides the extension, and an unknown lang is refused', async () => {
    const { write } = scratch();
    const src = write('add.txt', ADD_WAT);
    expect((await agent.transpile(src, { lang: 'wat' })).report.isValid).toBe(true);
    const e = await rejectsWith(agent.transpile(src, { lang: 'cobol' as 'wat' }), 'unknown-language');
    expect(e.message).toBe('unknown language "cobol"; known: wat, assemblyscript, c, rust, javascript, typescript');
  });

  it('a language no configured frontend compiles is unknown-language', async () => {
    const { write } = scratch();
    const src = write('x.c', 'int main(void) { return 0; }');
    const e = await rejectsWith(
      new TranspilerAgent({ frontends: [new WatFrontend()] }).transpile(src),
      'unknown-language',
    );
    expect(e.message).toBe('no frontend compiles c in this transpiler');
  });

  it('a missing toolchain is toolchain-missing and says what to install', async () => {
    const { write } = scratch();
    const c = write('x.c', 'int main(void) { return 0; }');
    const rs = write('x.rs', 'fn main() {}');
    const as = write('x.as.ts', 'export const x: i32 = 1;');
    const missing = new TranspilerAgent({
      frontends: [
        new CFrontend({ clang: '/nonexistent/clang' }),
        new RustFrontend({ rustc: ['/nonexistent/rustc', '/nonexistent/rustc2'] }),
        new AssemblyScriptFrontend({ asc: '/nonexistent/asc.js' }),
      ],
    });
    const ce = await rejectsWith(missing.transpile(c), 'toolchain-missing');
    expect(ce.message).toMatch(
      /the c frontend is not available \(\/nonexistent\/clang not found\); install: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32/,
    );
    expect(ce.details).toMatchObject({ frontend: 'c', install: expect.stringContaining('wasi-libc') });
    const re = await rejectsWith(missing.transpile(rs), 'toolchain-missing');
    expect(re.message).toMatch(
      /\/nonexistent\/rustc: not found; \/nonexistent\/rustc2: not found\).*libstd-rust-dev-wasm32/,
    );
    const ae = await rejectsWith(missing.transpile(as), 'toolchain-missing');
    expect(ae.message).toMatch(/install: npm install assemblyscript$/);
  });

  it('a rustc without a WASI standard library is not a usable toolchain', async () => {
    const { write } = scratch();
    // A stand-in rustc that runs but knows no wasm target, as rustup's rustc without `rustup target add`.
    const fake = write(
      'rustc',
      '#!/bin/sh\ncase "$2" in sysroot) echo /nonexistent-sysroot;; target-list) echo x86_64-unknown-linux-gnu;; *) echo "rustc 9.9.9";; esac\n',
    );
    const { chmodSync } = await import('node:fs');
    chmodSync(fake, 0o755);
    const d = await new RustFrontend({ rustc: fake }).detect();
    expect(d.available).toBe(false);
    expect(d.reason).toBe(
      `${fake} (rustc 9.9.9) has no wasm32-wasip1 or wasm32-wasi standard library in /nonexistent-sysroot`,
    );
  });
});
