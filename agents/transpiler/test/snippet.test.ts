import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnippetCompiler, type SnippetLang } from '../src/index.js';
import { client, expectClean, rejectsWith, scratch, suiteTitle, toolchains } from './helpers.js';

afterAll(() => client.close());

/** Counts words and reports the longest, as JSON text: what an LLM-written tool might do. */
const WORDS_AS = `// Counts the words of input.text and finds the longest one.
function field(json: string, name: string): string {
  const key = '"' + name + '":"';
  const at = json.indexOf(key);
  if (at < 0) return '';
  const start = at + key.length;
  return json.substring(start, json.indexOf('"', start));
}

export function analyze(input: string): string {
  const words = field(input, 'text').split(' ').filter((w: string) => w.length > 0);
  let longest = '';
  for (let i = 0; i < words.length; i++) if (words[i].length > longest.length) longest = words[i];
  return '{"words":' + words.length.toString() + ',"longest":"' + longest + '"}';
}
`;

async function run(wasm: Uint8Array, input: unknown): Promise<unknown> {
  const h = await client.load(wasm);
  const r = await client.execute(h, { kind: 'json', name: 'analyze', input });
  expect(r.error, r.error?.message).toBeUndefined();
  return r.returnValue;
}

describe('AssemblyScript snippets', () => {
  const { dir } = scratch('portalis-snippet-cache-');
  const compiler = new SnippetCompiler({ client, cacheDir: dir });

  it('compile into a plugin that answers a JSON call through the bridge', async () => {
    const r = await compiler.compile('assemblyscript', WORDS_AS);
    expect(r).toMatchObject({ lang: 'assemblyscript', entry: 'analyze', cached: false });
    expect(r.report.isValid).toBe(true);
    expect(r.report.metadata?.imports).toEqual([]);
    expect(r.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await run(r.wasm, { text: 'the quick brown fox jumps' })).toEqual({ words: 5, longest: 'quick' });
  });

  it('the same source again is a memory hit, then a disk hit for a new compiler, with the same bytes', async () => {
    const first = await compiler.compile('assemblyscript', WORDS_AS);
    const again = await compiler.compile('assemblyscript', WORDS_AS);
    expect(again.cached).toBe('memory');
    expect(again.wasm).toEqual(first.wasm);
    expect(again.digest).toBe(first.digest);

    const other = new SnippetCompiler({ client, cacheDir: dir });
    const fromDisk = await other.compile('assemblyscript', WORDS_AS);
    expect(fromDisk.cached).toBe('disk');
    expect(fromDisk.wasm).toEqual(first.wasm);
    expect(fromDisk.report.isValid).toBe(true);
    expect((await other.compile('assemblyscript', WORDS_AS)).cached).toBe('memory');
    expect(await run(fromDisk.wasm, { text: 'a bb' })).toEqual({ words: 2, longest: 'bb' });
  });

  it('clearMemoryCache leaves the disk tier; a damaged disk entry is compiled again', async () => {
    const first = await compiler.compile('assemblyscript', WORDS_AS);
    compiler.clearMemoryCache();
    expect((await compiler.compile('assemblyscript', WORDS_AS)).cached).toBe('disk');
    const file = join(dir, first.digest.slice(0, 2), `${first.digest}.wasm`);
    writeFileSync(file, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const fresh = new SnippetCompiler({ client, cacheDir: dir });
    const rebuilt = await fresh.compile('assemblyscript', WORDS_AS);
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.wasm).toEqual(first.wasm);
    expect(readdirSync(join(dir, first.digest.slice(0, 2)))).toContain(`${first.digest}.wasm`);
  });

  it('a different source is a different key', async () => {
    const changed = WORDS_AS.replace('"words"', '"count"');
    const r = await compiler.compile('assemblyscript', changed);
    expect(r.cached).toBe(false);
    expect(await run(r.wasm, { text: 'x y' })).toEqual({ count: 2, longest: 'x' });
  });

  it('two requests for one source at once share one compile', async () => {
    const fresh = new SnippetCompiler({ client });
    const src = 'export function analyze(input: string): string { return input; }\n';
    const [a, b] = await Promise.all([fresh.compile('assemblyscript', src), fresh.compile('assemblyscript', src)]);
    expect(a.digest).toBe(b.digest);
    expect(a.wasm).toEqual(b.wasm);
    expect((await fresh.compile('assemblyscript', src)).cached).toBe('memory');
    expect(await run(a.wasm, { echo: [1, 2] })).toEqual({ echo: [1, 2] });
  });

  it('a compile error names snippet.ts with the line and column of the snippet itself', async () => {
    const src = 'export function analyze(input: string): string {\n  const n: i32 = input;\n  return input;\n}\n';
    const e = await rejectsWith(compiler.compile('assemblyscript', src), 'compile-failed');
    expect(e.message).toMatch(
      /^snippet\.ts did not compile: snippet\.ts:2:18: error\[TS2322\]: Type '~lib\/string\/String' is not assignable to type 'i32'\./,
    );
    expect(e.details.diagnostics).toEqual([
      expect.objectContaining({
        file: 'snippet.ts',
        line: 2,
        column: 18,
        code: 'TS2322',
        excerpt: expect.stringContaining('const n: i32 = input;'),
      }),
    ]);
    expectClean(String(e.details.text));
    expect(String(e.details.text)).not.toMatch(/main\.ts|portalis-snippet/);
  });

  it("an analyze that does not fit the template is explained at the snippet's analyze, not in template code", async () => {
    const src = '// a helper first\n\nexport function analyze(input: i32): string {\n  return "x";\n}\n';
    const e = await rejectsWith(compiler.compile('assemblyscript', src), 'compile-failed');
    expect(e.details.diagnostics).toEqual([
      {
        severity: 'error',
        file: 'snippet.ts',
        line: 3,
        message: expect.stringMatching(
          /^analyze does not fit the entry point `export function analyze\(input: string\): string`: /,
        ),
      },
    ]);
    expect(String(e.details.text)).not.toContain('snippetAnalyze');
  });

  it('forbidden patterns are refused before compiling, naming the line', async () => {
    const src = 'export function analyze(input: string): string {\n  console.log(input);\n  return input;\n}\n';
    const e = await rejectsWith(compiler.compile('assemblyscript', src), 'forbidden');
    expect(e.message).toMatch(
      /^snippet\.ts:2:3: the console \(it needs the host; return the text instead\) is not allowed in a snippet \(console\.\)/,
    );
    expect(e.details.matches).toEqual([expect.objectContaining({ line: 2, column: 3 })]);
    const ext = await rejectsWith(
      compiler.compile(
        'assemblyscript',
        '@external("env", "read")\ndeclare function read(): i32;\nexport function analyze(input: string): string { return input; }\n',
      ),
      'forbidden',
    );
    expect((ext.details.matches as unknown[]).length).toBe(2);
  });

  it('host imports the scanner did not see are still refused after compiling', async () => {
    // NativeMath.random needs the host's seed: no rule names it, but the module would import env.seed.
    const src =
      'export function analyze(input: string): string {\n  return NativeMath.random() > 2 ? input : "{}";\n}\n';
    const e = await rejectsWith(compiler.compile('assemblyscript', src), 'forbidden');
    expect(e.message).toMatch(/^the compiled snippet needs host functions \(env\.seed\)/);
    expect(e.details.imports).toEqual(['env.seed']);
  });

  it('an empty snippet, a missing entry point, an oversized one are bad-input', async () => {
    expect((await rejectsWith(compiler.compile('assemblyscript', '  \n'), 'bad-input')).message).toBe(
      'the snippet is empty; it must define export function analyze(input: string): string',
    );
    const e = await rejectsWith(
      compiler.compile('assemblyscript', 'function analyze(input: string): string { return input; }'),
      'bad-input',
    );
    expect(e.message).toBe('the snippet must define the entry point export function analyze(input: string): string');
    await rejectsWith(
      compiler.compile(
        'assemblyscript',
        `export function analyze(input: string): string { return input; }\n//${'x'.repeat(300_000)}`,
      ),
      'bad-input',
    );
  });

  it('an unknown language is refused', async () => {
    const e = await rejectsWith(
      compiler.compile('python' as SnippetLang, 'def analyze(x): return x'),
      'unknown-language',
    );
    expect(e.message).toBe('snippets can be written in assemblyscript or rust, not "python"');
  });

  it('a missing compiler is toolchain-missing with what to install', async () => {
    const missing = new SnippetCompiler({ client, assemblyscript: { asc: '/nonexistent/asc.js' } });
    const e = await rejectsWith(missing.compile('assemblyscript', WORDS_AS), 'toolchain-missing');
    expect(e.message).toBe(
      'assemblyscript snippets cannot be compiled here: /nonexistent/asc.js does not exist; install: npm install assemblyscript',
    );
  });

  it('languages() lists each language with its signature and toolchain', async () => {
    const langs = await compiler.languages();
    expect(langs.map((l) => l.lang)).toEqual(['assemblyscript', 'rust']);
    expect(langs[0]).toMatchObject({ available: true, signature: 'export function analyze(input: string): string' });
    expect(langs[1]?.signature).toBe('fn analyze(input: &str) -> String');
  });
});

describe.skipIf(!toolchains.rustSnippets.available)(
  suiteTitle('Rust snippets (rustc --target wasm32-unknown-unknown)', toolchains.rustSnippets),
  () => {
    const compiler = new SnippetCompiler({ client });
    const SUM = `fn analyze(input: &str) -> String {
    // Sums every integer in the input JSON.
    let total: i64 = input
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .filter_map(|t| t.parse::<i64>().ok())
        .sum();
    format!("{{\\"sum\\":{}}}", total)
}
`;

    it('compile into a plugin with no imports that answers a JSON call', async () => {
      const r = await compiler.compile('rust', SUM);
      expect(r.cached).toBe(false);
      expect(r.report.metadata?.imports).toEqual([]);
      expect(await run(r.wasm, { values: [1, 2, 39] })).toEqual({ sum: 42 });
      expect((await compiler.compile('rust', SUM)).cached).toBe('memory');
    });

    it("a compile error keeps the snippet's own lines and drops rustc's summary", async () => {
      const src = 'fn analyze(input: &str) -> String {\n    let n: i32 = input;\n    input.to_string()\n}\n';
      const e = await rejectsWith(compiler.compile('rust', src), 'compile-failed');
      expect(e.details.diagnostics).toEqual([expect.objectContaining({ file: 'snippet.rs', line: 2, code: 'E0308' })]);
      const t = String(e.details.text);
      expect(t).toContain('--> snippet.rs:2:');
      expect(t).not.toMatch(/__portalis|aborting|--explain/);
      expectClean(t);
    });

    it("a wrong signature is explained at the snippet's fn analyze", async () => {
      const e = await rejectsWith(
        compiler.compile('rust', '\nfn analyze(input: String) -> String {\n    input\n}\n'),
        'compile-failed',
      );
      expect(e.details.diagnostics).toEqual([
        expect.objectContaining({
          file: 'snippet.rs',
          line: 2,
          message: expect.stringMatching(
            /^analyze does not fit the entry point `fn analyze\(input: &str\) -> String`: mismatched types/,
          ),
        }),
      ]);
    });

    it.each([
      ['use std::fs;\nfn analyze(i: &str) -> String { fs::read_to_string(i).unwrap() }', 'file system access'],
      ['fn analyze(i: &str) -> String { include_str!("/etc/passwd").to_string() }', 'compile-time file inclusion'],
      ['fn analyze(i: &str) -> String { unsafe { String::from(i) } }', 'unsafe code'],
      [
        'extern "C" { fn host(); }\nfn analyze(i: &str) -> String { i.into() }',
        'foreign functions and crates (extern)',
      ],
      [
        'fn analyze(i: &str) -> String { std::net::TcpStream::connect(i).map(|_| String::new()).unwrap() }',
        'network access',
      ],
    ])('refuses %s', async (src, what) => {
      const e = await rejectsWith(compiler.compile('rust', src), 'forbidden');
      expect(e.message).toContain(`${what} is not allowed in a snippet`);
    });
  },
);

describe('snippet toolchains', () => {
  it('a rust snippet without a usable rustc is toolchain-missing, naming the target to install', async () => {
    const missing = new SnippetCompiler({ client, rust: { rustc: '/nonexistent/rustc' } });
    const e = await rejectsWith(
      missing.compile('rust', 'fn analyze(i: &str) -> String { i.to_string() }'),
      'toolchain-missing',
    );
    expect(e.message).toMatch(
      /^rust snippets cannot be compiled here: \/nonexistent\/rustc: not found; install: .*wasm32-unknown-unknown/,
    );
  });
});
