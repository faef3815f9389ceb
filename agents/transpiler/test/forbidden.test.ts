import { describe, expect, it } from 'vitest';
import { blankCommentsAndStrings, findForbidden } from '../src/index.js';

const whats = (lang: 'rust' | 'assemblyscript', src: string) => findForbidden(lang, src).map((m) => m.what);

describe('Rust snippets', () => {
  it.each([
    ['use std::fs;', 'file system access'],
    ['let s = std::fs::read_to_string("x");', 'file system access'],
    ['use std::net::TcpStream;', 'network access'],
    ['let v = std::env::var("HOME");', 'environment variables'],
    ['std::process::exit(1);', 'processes'],
    ['use std::os::wasi::prelude::*;', 'OS-specific APIs'],
    ['use std::io::Read;', 'standard input and output'],
    ['use std::{collections::HashMap, fs};', 'std modules imported in a group (fs, net, env, process, os, io, thread)'],
    ['println!("hi");', 'printing (it goes nowhere; return the text instead)'],
    ['const S: &str = include_str!("/etc/passwd");', 'compile-time file inclusion'],
    ['const B: &[u8] = include_bytes!("k");', 'compile-time file inclusion'],
    ['include!("other.rs");', 'compile-time file inclusion'],
    ['const H: &str = env!("HOME");', 'compile-time environment variables'],
    ['const H: Option<&str> = option_env!("HOME");', 'compile-time environment variables'],
    ['extern "C" { fn host(); }', 'foreign functions and crates (extern)'],
    ['extern crate alloc;', 'foreign functions and crates (extern)'],
    ['#[link(wasm_import_module = "env")]', 'linking attributes'],
    ['#[no_mangle] pub fn alloc() {}', 'linking attributes'],
    ['let p = unsafe { *ptr };', 'unsafe code'],
    ['#[allow(unsafe_code)]', 'unsafe code'],
    ['#![no_std]', 'crate-level attributes (#![...])'],
    ['mod secrets;', 'modules loaded from other files'],
    ['#[path = "/etc/x.rs"] mod x { }', 'module path attributes'],
    ['fn __portalis_analyze() {}', 'names reserved for the template'],
  ])('%s is refused (%s)', (src, what) => {
    expect(whats('rust', src)).toContain(what);
  });

  it('allows ordinary code, and names that only contain a forbidden word', () => {
    const src = [
      'use std::collections::HashMap;',
      'fn analyze(input: &str) -> String {',
      '    let fs_count = input.matches("fs").count(); // std::fs in a comment',
      '    /* nested /* std::net */ still a comment */',
      '    let raw = r#"include_str!("x") std::env"#;',
      "    let c = 'x'; let q = '\"'; fn f<'a>(s: &'a str) -> &'a str { s }",
      '    let mut m: HashMap<&str, usize> = HashMap::new();',
      '    m.insert("unsafe", fs_count + raw.len());',
      '    format!("{}", m.len())',
      '}',
    ].join('\n');
    expect(findForbidden('rust', src)).toEqual([]);
  });

  it('reports line and column in the snippet as given, sorted', () => {
    const found = findForbidden(
      'rust',
      'fn analyze(i: &str) -> String {\n  // fine\n  let s = include_str!("k");\n  unsafe { s.to_string() }\n}',
    );
    expect(found.map(({ line, column }) => [line, column])).toEqual([
      [3, 11],
      [4, 3],
    ]);
  });
});

describe('AssemblyScript snippets', () => {
  it.each([
    ['@external("env", "host") declare function host(): void;', 'host functions (@external)'],
    ['declare function host(): void;', 'ambient declarations (declare), which become host imports'],
    ['import { x } from "./other";', 'imports of other modules'],
    ['export * from "./other";', 're-exports of other modules'],
    ['process.exit(1);', 'the process object (environment, arguments, exit)'],
    ['console.log("x");', 'the console (it needs the host; return the text instead)'],
    ['const t = Date.now();', 'the clock (Date needs the host)'],
    ['const r = Math.random();', 'the random generator (Math.random needs the host)'],
    ['trace("x");', 'trace output (it needs the host)'],
  ])('%s is refused', (src, what) => {
    expect(whats('assemblyscript', src)).toContain(what);
  });

  it('ignores comments, strings and template literals', () => {
    const src = [
      '// import x from "y"; console.log',
      'export function analyze(input: string): string {',
      '  const s = "declare import process.env";',
      "  const t = 'Math.random()';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: AssemblyScript source text with its own template literal
      '  const u = `console.log(${s})`;',
      '  return s + t + u + input;',
      '}',
    ].join('\n');
    expect(findForbidden('assemblyscript', src)).toEqual([]);
  });
});

describe('blankCommentsAndStrings', () => {
  it('keeps length and line breaks so positions stay the same', () => {
    const src = 'a /* x\ny */ "s\\"t" // z\nb';
    const out = blankCommentsAndStrings(src, 'rust');
    expect(out).toHaveLength(src.length);
    expect(out.split('\n')).toHaveLength(3);
    expect(out.replace(/\s+/g, ' ').trim()).toBe('a " " b');
  });
});
