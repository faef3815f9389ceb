import type { ComponentInspection } from '@portalis/wasm-binary';
import { componentCapabilities } from './capabilities.js';
import type { ComponentFunction, ModuleMetadata } from './report.js';

type JcoModule = typeof import('@bytecodealliance/jco');
let jcoModule: Promise<JcoModule> | undefined;

/** jco is loaded on first use: core-only callers never pay for its wasm-tools start-up. */
function jco(): Promise<JcoModule> {
  jcoModule ??= import('@bytecodealliance/jco');
  return jcoModule;
}

/** Prints the component's WIT world through jco; a failure here means the component-level types do not decode. */
export async function componentWit(bytes: Uint8Array): Promise<string> {
  return (await jco()).componentWit(bytes);
}

/**
 * Lists the functions a WIT document's worlds export, with their signatures: world-level
 * `export name: func(...)` items, and the functions of interfaces the world exports by name.
 */
export function exportedFunctions(wit: string): ComponentFunction[] {
  const out: ComponentFunction[] = [];
  const interfaces = new Map<string, ComponentFunction[]>();
  const worldExports: string[] = [];
  for (const { kind, name, body } of witBlocks(wit)) {
    if (kind === 'interface') {
      const fns: ComponentFunction[] = [];
      for (const f of topLevel(body).matchAll(/^\s*([\w-]+)\s*:\s*(func\([^;]*?\)(?:\s*->\s*[^;]+)?)\s*;/gm)) {
        fns.push({ name: f[1] as string, signature: (f[2] as string).replace(/\s+/g, ' ') });
      }
      interfaces.set(name, fns);
    } else {
      for (const e of topLevel(body).matchAll(/^\s*export\s+([^;]+);/gm)) worldExports.push((e[1] as string).trim());
    }
  }
  for (const e of worldExports) {
    const fn = /^([\w-]+)\s*:\s*(func\([\s\S]*)$/.exec(e);
    if (fn) {
      out.push({ name: fn[1] as string, signature: (fn[2] as string).replace(/\s+/g, ' ') });
      continue;
    }
    const ifaceName = /^(?:[\w-]+:[\w-]+\/)?([\w-]+)(?:@[\w.+-]+)?$/.exec(e)?.[1] ?? e;
    for (const f of interfaces.get(ifaceName) ?? []) out.push({ name: `${e}#${f.name}`, signature: f.signature });
  }
  return out;
}

/** `world` and `interface` blocks of a WIT document, with their bodies found by brace matching. */
function* witBlocks(wit: string): Generator<{ kind: string; name: string; body: string }> {
  const head = /\b(world|interface)\s+([\w-]+)\s*\{/g;
  for (let m = head.exec(wit); m; m = head.exec(wit)) {
    let depth = 1;
    let i = head.lastIndex;
    for (; i < wit.length && depth > 0; i++) {
      if (wit[i] === '{') depth++;
      else if (wit[i] === '}') depth--;
    }
    yield { kind: m[1] as string, name: m[2] as string, body: wit.slice(head.lastIndex, i - 1) };
    head.lastIndex = i;
  }
}

/** The body with nested `{ ... }` blocks (records, variants, inline interfaces) blanked out. */
function topLevel(body: string): string {
  let depth = 0;
  let out = '';
  for (const ch of body) {
    if (ch === '{') depth++;
    if (depth === 0) out += ch;
    if (ch === '}') depth--;
  }
  return out;
}

export function componentMetadata(
  c: ComponentInspection,
  size: number,
  sha256: string,
  wit: string | undefined,
  nestedFeatures: Iterable<string>,
): ModuleMetadata {
  const { wasi, capabilities } = componentCapabilities(c.imports.map((i) => i.name));
  return {
    kind: 'component',
    size,
    sha256,
    imports: [],
    exports: [],
    memories: [],
    tables: [],
    globals: [],
    start: undefined,
    wasi,
    capabilities,
    features: [...new Set(nestedFeatures)].filter((f) => f !== 'mvp').sort() as ModuleMetadata['features'],
    producers: undefined,
    moduleName: undefined,
    customSections: c.customSections.map((s) => ({ name: s.name, size: s.size })),
    functionCount: 0,
    instructionCount: 0,
    codeBytes: 0,
    dataBytes: 0,
    component: {
      wit,
      imports: c.imports.map((i) => ({ name: i.name, kind: i.kind })),
      exports: c.exports.map((e) => ({ name: e.name, kind: e.kind })),
      exportedFunctions: wit ? exportedFunctions(wit) : [],
      coreModules: c.coreModules.length,
      nestedComponents: c.components.length,
    },
  };
}
