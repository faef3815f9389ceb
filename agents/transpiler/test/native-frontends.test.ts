import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TranspilerAgent } from '../src/index.js';
import { client, expectClean, rejectsWith, scratch, suiteTitle, text, toolchains } from './helpers.js';

// clang and a wasm-capable rustc are not installed in CI: these suites run where they are present
// and say in their title why they were skipped elsewhere.

afterAll(() => client.close());

const agent = new TranspilerAgent({ client });

describe.skipIf(!toolchains.c.available)(suiteTitle('C frontend (clang --target=wasm32-wasi)', toolchains.c), () => {
  it('a file with main becomes a WASI command that prints and takes arguments', async () => {
    const { write } = scratch();
    const src = write(
      'greet.c',
      '#include <stdio.h>\nint main(int argc, char **argv) {\n  printf("hello %s\\n", argc > 1 ? argv[1] : "nobody");\n  return 0;\n}\n',
    );
    const r = await agent.transpile(src);
    expect(r).toMatchObject({ lang: 'c', frontend: 'c' });
    expect(r.report.metadata?.wasi).toBe('preview1');
    const run = await client.execute(await client.load(r.wasm), { kind: 'command', args: ['wasm'] });
    expect(run.exitCode).toBe(0);
    expect(text(run.stdout)).toBe('hello wasm\n');
  });

  it('a file without main becomes a library whose functions are exported', async () => {
    const { write } = scratch();
    const src = write('mul.c', 'int mul(int a, int b) { return a * b; }\n');
    const r = await agent.transpile(src);
    expect(r.report.metadata?.exports.map((e) => e.name)).toContain('mul');
    const run = await client.execute(await client.load(r.wasm), { kind: 'function', name: 'mul', args: [6, 7] });
    expect(run.returnValue).toEqual([42]);
  });

  it('a compile error is cleaned: the file as given, line and column, the quoted line, no summary', async () => {
    const { write } = scratch();
    const src = write('broken.c', 'int f(void) {\n  return 1 +;\n}\n');
    const e = await rejectsWith(agent.transpile(src), 'compile-failed');
    expect(e.message).toMatch(/broken\.c did not compile: .*broken\.c:2:13: error: expected expression$/);
    expect(e.details.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: src,
        line: 2,
        column: 13,
        excerpt: expect.stringContaining('return 1 +;'),
      }),
    ]);
    expectClean(String(e.details.text));
  });

  it('a link error (an undefined function) is a compile failure with the linker message', async () => {
    const { write } = scratch();
    const src = write('undef.c', 'int missing(void);\nint main(void) { return missing(); }\n');
    const e = await rejectsWith(agent.transpile(src), 'compile-failed');
    expect(String(e.details.text)).toMatch(/undefined symbol: missing/);
  });
});

describe.skipIf(!toolchains.rust.available)(
  suiteTitle('Rust frontend (rustc --target wasm32-wasi)', toolchains.rust),
  () => {
    it('a file with fn main becomes a WASI command', async () => {
      const { write } = scratch();
      const src = write(
        'hello.rs',
        'fn main() {\n    let args: Vec<String> = std::env::args().collect();\n    println!("args {}", args.len());\n}\n',
      );
      const r = await agent.transpile(src);
      expect(r).toMatchObject({ lang: 'rust', frontend: 'rust' });
      const run = await client.execute(await client.load(r.wasm), { kind: 'command', args: ['a', 'b'] });
      expect(run.exitCode).toBe(0);
      expect(text(run.stdout)).toBe('args 3\n');
    });

    it('a file without fn main becomes a cdylib exporting its extern "C" functions', async () => {
      const { write } = scratch();
      const src = write('add.rs', '#[no_mangle]\npub extern "C" fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n');
      const r = await agent.transpile(src);
      expect(r.report.metadata?.exports.map((e) => e.name)).toContain('add');
      const run = await client.execute(await client.load(r.wasm), { kind: 'function', name: 'add', args: [40, 2] });
      expect(run.returnValue).toEqual([42]);
    });

    it('a compile error is cleaned: code, file as given, line, excerpt; no "aborting" or "--explain" lines', async () => {
      const { write, dir } = scratch();
      const src = write('bad.rs', 'fn main() {\n    let x: i32 = "no";\n}\n');
      const e = await rejectsWith(agent.transpile(src), 'compile-failed');
      expect(e.details.diagnostics).toContainEqual(
        expect.objectContaining({ severity: 'error', code: 'E0308', file: src, line: 2, column: 18 }),
      );
      const t = String(e.details.text);
      expect(t).toContain('let x: i32 = "no";');
      expect(t).not.toMatch(/--explain|aborting/);
      expectClean(t, [join(dir, 'portalis-rust-')]);
    });
  },
);

describe.skipIf(!toolchains.js.available)(
  suiteTitle('JavaScript/TypeScript frontend (componentize-js)', toolchains.js),
  () => {
    // componentize-js snapshots a whole JavaScript engine: several seconds per build.
    const SLOW = 180_000;

    it(
      'a JavaScript module becomes a component exporting the default plugin world',
      async () => {
        const { write } = scratch();
        const src = write(
          'app.js',
          'export function analyze(input) {\n  return JSON.stringify({ length: input.length });\n}\n',
        );
        const r = await agent.transpile(src);
        expect(r).toMatchObject({ lang: 'javascript', frontend: 'javascript' });
        expect(r.report.isValid).toBe(true);
        expect(r.report.metadata?.kind).toBe('component');
        expect(r.report.metadata?.component?.exportedFunctions).toEqual([
          { name: 'analyze', signature: 'func(input: string) -> string' },
        ]);
      },
      SLOW,
    );

    it(
      'TypeScript is stripped first and built against the WIT beside it',
      async () => {
        const { write } = scratch();
        write('calc.wit', 'package demo:calc;\n\nworld calc {\n  export add: func(a: u32, b: u32) -> u32;\n}\n');
        write('util.ts', 'export const sum = (a: number, b: number): number => a + b;\n');
        const src = write(
          'calc.ts',
          "import { sum } from './util.ts';\nexport function add(a: number, b: number): number {\n  return sum(a, b);\n}\n",
        );
        const r = await agent.transpile(src);
        expect(r).toMatchObject({ lang: 'typescript', frontend: 'javascript' });
        expect(r.report.metadata?.component?.exportedFunctions).toEqual([
          { name: 'add', signature: 'func(a: u32, b: u32) -> u32' },
        ]);
      },
      SLOW,
    );

    it(
      "a module that lacks the world export fails with componentize-js's own explanation",
      async () => {
        const { write } = scratch();
        const src = write('none.js', 'export function other() { return 1; }\n');
        const e = await rejectsWith(agent.transpile(src), 'compile-failed');
        expect(e.message).toMatch(/"none\.js" does not export a "analyze" function as expected by the world/);
        expectClean(e.message);
      },
      SLOW,
    );

    it('a --wit path that does not exist is bad-input', async () => {
      const { write, dir } = scratch();
      const src = write('app.js', 'export function analyze(s) { return s; }\n');
      const e = await rejectsWith(agent.transpile(src, { wit: join(dir, 'missing.wit') }), 'bad-input');
      expect(e.message).toBe(`WIT path ${join(dir, 'missing.wit')} does not exist`);
    });

    it('a TypeScript syntax error is reported by tsc with its place', async () => {
      const { write } = scratch();
      const src = write('oops.ts', 'export function analyze(input: string): string {\n  return input +;\n}\n');
      const e = await rejectsWith(agent.transpile(src), 'compile-failed');
      expect(e.details.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', code: 'TS1109', file: src, line: 2, column: 17 }),
      ]);
    });
  },
);
