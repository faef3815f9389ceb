import { describe, expect, it } from 'vitest';
import { ascFlagsOf, definesMain, hasMain, languageOf, looksLikeAssemblyScript, watFeatures } from '../src/index.js';

describe('languageOf', () => {
  it.each([
    ['calc.wat', 'wat'],
    ['spec.wast', 'wat'],
    ['calc.c', 'c'],
    ['lib.rs', 'rust'],
    ['tool.js', 'javascript'],
    ['tool.mjs', 'javascript'],
    ['tool.mts', 'typescript'],
    ['calc.as.ts', 'assemblyscript'],
    ['calc.as', 'assemblyscript'],
    ['DIR/Upper.WAT', 'wat'],
  ] as const)('%s is %s', (file, lang) => {
    expect(languageOf(file)).toBe(lang);
  });

  it('tells AssemblyScript from TypeScript in a .ts file by its types and builtins', () => {
    expect(languageOf('calc.ts', 'export function add(a: i32, b: i32): i32 { return a + b; }')).toBe('assemblyscript');
    expect(languageOf('k.ts', 'const p = changetype<usize>(buf);')).toBe('assemblyscript');
    expect(languageOf('k.ts', '// asc: --noAssert\nexport const x = 1;')).toBe('assemblyscript');
    expect(languageOf('app.ts', 'export function analyze(input: string): string { return input; }')).toBe('typescript');
    expect(languageOf('app.ts')).toBe('typescript');
  });

  it('knows no language for other extensions, declaration files or names without one', () => {
    expect(languageOf('notes.txt')).toBeUndefined();
    expect(languageOf('Makefile')).toBeUndefined();
    expect(languageOf('types.d.ts')).toBeUndefined();
  });

  it('looksLikeAssemblyScript ignores plain TypeScript types', () => {
    expect(looksLikeAssemblyScript('let n: number = 1; let s: string = "i32";')).toBe(false);
    expect(looksLikeAssemblyScript('let n: u8 = 1;')).toBe(true);
  });
});

describe('per-source choices', () => {
  it('a first-line `;; features:` comment enables wabt proposals', () => {
    expect(watFeatures(';; features: simd threads\n(module)')).toEqual({ simd: true, threads: true });
    expect(watFeatures('(module)\n;; features: simd')).toEqual({});
  });

  it('a first-line `// asc:` comment adds compiler flags', () => {
    expect(ascFlagsOf('// asc: --noAssert --use abort=\n')).toEqual(['--noAssert', '--use', 'abort=']);
    expect(ascFlagsOf('export const x = 1;')).toEqual([]);
  });

  it('C with main is a command, without is a library; Rust with fn main is a binary', () => {
    expect(definesMain('int main(void) { return 0; }')).toBe(true);
    expect(definesMain('int add(int a, int b) { return a + b; }')).toBe(false);
    expect(hasMain('fn main() {}')).toBe(true);
    expect(hasMain('pub fn add() {}')).toBe(false);
  });
});
