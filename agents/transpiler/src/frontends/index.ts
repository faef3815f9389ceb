import { basename } from 'node:path';
import type { Frontend, Lang } from '../types.js';
import { AssemblyScriptFrontend, type AssemblyScriptFrontendOptions } from './assemblyscript.js';
import { CFrontend, type CFrontendOptions } from './c.js';
import { JavaScriptFrontend, type JavaScriptFrontendOptions } from './javascript.js';
import { RustFrontend, type RustFrontendOptions } from './rust.js';
import { WatFrontend, type WatFrontendOptions } from './wat.js';

/** Where each default frontend finds its tool; every field is optional. */
export interface FrontendTools {
  wat?: WatFrontendOptions;
  assemblyscript?: AssemblyScriptFrontendOptions;
  c?: CFrontendOptions;
  rust?: RustFrontendOptions;
  javascript?: JavaScriptFrontendOptions;
}

/** Environment variables that point a default frontend at its tool (the `tools` argument wins). */
export const TOOL_ENV = { asc: 'PORTALIS_ASC', clang: 'PORTALIS_CLANG', rustc: 'PORTALIS_RUSTC' } as const;

/**
 * One frontend per toolchain: WAT, AssemblyScript, C, Rust, JavaScript/TypeScript. Tool paths come
 * from `tools`, then from `PORTALIS_ASC`, `PORTALIS_CLANG` and `PORTALIS_RUSTC`, then the defaults.
 */
export function defaultFrontends(tools: FrontendTools = {}, env: NodeJS.ProcessEnv = process.env): Frontend[] {
  const asc = tools.assemblyscript?.asc ?? env[TOOL_ENV.asc];
  const clang = tools.c?.clang ?? env[TOOL_ENV.clang];
  const rustc = tools.rust?.rustc ?? env[TOOL_ENV.rustc];
  return [
    new WatFrontend(tools.wat),
    new AssemblyScriptFrontend({ ...tools.assemblyscript, ...(asc ? { asc } : {}) }),
    new CFrontend({ ...tools.c, ...(clang ? { clang } : {}) }),
    new RustFrontend({ ...tools.rust, ...(rustc ? { rustc } : {}) }),
    new JavaScriptFrontend(tools.javascript),
  ];
}

const BY_EXTENSION: Record<string, Lang> = {
  '.wat': 'wat',
  '.wast': 'wat',
  '.c': 'c',
  '.rs': 'rust',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.mts': 'typescript',
  '.as': 'assemblyscript',
};

/** Type names and builtins only AssemblyScript has; TypeScript code does not use them. */
const AS_MARKERS = [
  /^\/\/\s*asc:/,
  /:\s*(?:i8|i16|i32|i64|u8|u16|u32|u64|f32|f64|isize|usize|v128)\b/m,
  /<(?:i8|i16|i32|i64|u8|u16|u32|u64|f32|f64|isize|usize)>/,
  /\b(?:load|store|changetype|unchecked|sizeof|offsetof|idof)\s*</,
  /\bunchecked\s*\(/,
  /@(?:inline|external|unmanaged|final|lazy|global|operator)\b/,
  /\bheap\.(?:alloc|free|realloc)\s*\(/,
];

/** Whether a `.ts` file is AssemblyScript: a `// asc:` header, AssemblyScript types or builtins. */
export function looksLikeAssemblyScript(source: string): boolean {
  return AS_MARKERS.some((re) => re.test(source));
}

/**
 * The language of a source file from its name: `.as.ts` and `.as` are AssemblyScript; a plain
 * `.ts` is AssemblyScript when `source` uses its types or builtins, TypeScript otherwise.
 * Undefined when the extension names no language.
 */
export function languageOf(path: string, source?: string): Lang | undefined {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.as.ts')) return 'assemblyscript';
  if (name.endsWith('.ts') && !name.endsWith('.d.ts'))
    return source !== undefined && looksLikeAssemblyScript(source) ? 'assemblyscript' : 'typescript';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot)];
}

/** Every extension `languageOf` knows, for error messages. */
export const KNOWN_EXTENSIONS = ['.wat', '.wast', '.ts', '.as.ts', '.as', '.c', '.rs', '.js', '.mjs', '.mts'];

export { AssemblyScriptFrontend, CFrontend, JavaScriptFrontend, RustFrontend, WatFrontend };
