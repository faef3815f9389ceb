import type { SnippetLang } from './forbidden.js';

/**
 * The code around a snippet: the JSON call protocol of the bridge (`alloc(len)`, then
 * `analyze(ptr, len)` returning `ptr << 32 | len` of the UTF-8 JSON answer) wrapped around the
 * user's `analyze(input) -> output`, which takes and returns JSON text. A new version number makes
 * every cached artifact of that language stale.
 */
export interface SnippetTemplate {
  version: number;
  /** The file the user's code goes into, as diagnostics name it. */
  snippetFile: string;
  /** The signature the user's code must define. */
  signature: string;
  /** Finds the user's entry point in the snippet (comments and strings blanked). */
  entry: RegExp;
}

export const TEMPLATES: Readonly<Record<SnippetLang, SnippetTemplate>> = {
  assemblyscript: {
    version: 1,
    snippetFile: 'snippet.ts',
    signature: 'export function analyze(input: string): string',
    entry: /\bexport\s+function\s+analyze\s*\(/,
  },
  rust: {
    version: 1,
    snippetFile: 'snippet.rs',
    signature: 'fn analyze(input: &str) -> String',
    entry: /\bfn\s+analyze\s*\(/,
  },
};

/** The AssemblyScript entry file; the snippet is its own module `./snippet`, so its lines stay its own. */
export const ASSEMBLYSCRIPT_MAIN = `// Portalis snippet template v1: the JSON call protocol around the snippet's analyze.
import { analyze as snippetAnalyze } from './snippet';

export function alloc(len: i32): usize {
  return heap.alloc(<usize>len);
}

export function analyze(ptr: usize, len: i32): u64 {
  const input = String.UTF8.decodeUnsafe(ptr, <usize>len);
  const output = String.UTF8.encode(snippetAnalyze(input));
  return ((<u64>changetype<usize>(output)) << 32) | <u64>output.byteLength;
}
`;

/**
 * The Rust glue, appended after the snippet (so the snippet's line numbers are unchanged). The
 * crate is compiled with `-D unsafe_code`; only these two functions may use it.
 */
export const RUST_GLUE = `

// Portalis snippet template v1: the JSON call protocol around the snippet's analyze.
#[export_name = "alloc"]
#[allow(unsafe_code)]
pub extern "C" fn __portalis_alloc(len: i32) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(len.max(0) as usize);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

#[export_name = "analyze"]
#[allow(unsafe_code)]
pub extern "C" fn __portalis_analyze(ptr: *const u8, len: i32) -> u64 {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len.max(0) as usize) };
    let input = String::from_utf8_lossy(bytes);
    let output: String = analyze(&input);
    let boxed = output.into_bytes().into_boxed_slice();
    let n = boxed.len() as u64;
    let p = Box::into_raw(boxed) as *mut u8 as usize as u64;
    (p << 32) | n
}
`;
