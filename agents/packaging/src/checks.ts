import type { ModuleMetadata, ValidationReport } from '@portalis/wassette-bridge';
import { parseFuncType } from '@portalis/wassette-bridge';
import type { PackageManifest } from './manifest.js';

/** One named check with its verdict and a sentence a person can act on. */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  message: string;
  /** Set when the check could not run (the module did not decode); such a check counts as failed. */
  skipped?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  checks: VerifyCheck[];
  /** The module the checks looked at (the optimized one, when optimization was used and kept). */
  module?: { size: number; gzipSize: number; optimized?: { before: number; after: number } };
}

/** The names of the checks, in the order they are reported. */
export type CheckName = 'valid' | 'exports' | 'imports' | 'capabilities' | 'size' | 'gzip-size' | 'convention';

/** 300 KiB raw and 120 KiB gzip: the clawft budget, used unless the manifest's `budget` says otherwise. */
export const DEFAULT_BUDGET = { rawBytes: 300 * 1024, gzipBytes: 120 * 1024 } as const;

/** What the checks look at: the bytes that would ship, their validation report and gzip size. */
export interface CheckInput {
  report: ValidationReport;
  size: number;
  gzipSize: number;
  manifest: PackageManifest;
}

const pass = (name: CheckName, message: string): VerifyCheck => ({ name, ok: true, message });
const fail = (name: CheckName, message: string): VerifyCheck => ({ name, ok: false, message });
const skip = (name: CheckName): VerifyCheck => ({
  name,
  ok: false,
  skipped: true,
  message: 'not checked: the module could not be decoded (see the valid check)',
});

const list = (items: readonly string[]) => items.join(', ');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function checkValid(report: ValidationReport): VerifyCheck {
  const m = report.metadata;
  if (report.isValid && m)
    return pass('valid', `valid ${m.kind === 'core' ? 'core module' : 'component'} (${formatSize(m.size)})`);
  const why = report.errors
    .map((e) => `error[${e.code}]${e.offset === undefined ? '' : ` at byte ${e.offset}`}: ${e.message}`)
    .join('; ');
  return fail('valid', `not valid WebAssembly: ${why || 'no metadata could be read'}`);
}

/** Export names a host can reach: core exports, or a component's exports and exported functions. */
function exportNames(m: ModuleMetadata): string[] {
  if (m.kind === 'core') return m.exports.map((e) => e.name);
  const c = m.component;
  return [...(c?.exports.map((e) => e.name) ?? []), ...(c?.exportedFunctions.map((f) => f.name) ?? [])];
}

/** A component exports interfaces with a version (`wasi:cli/run@0.2.3`); naming one without it is enough. */
function hasExport(names: readonly string[], wanted: string): boolean {
  return names.some((n) => n === wanted || n.startsWith(`${wanted}@`));
}

/** The exports the manifest promises: its `requiredExports` plus what the calling convention needs by name. */
export function requiredExports(manifest: PackageManifest, kind: ModuleMetadata['kind']): string[] {
  const out = new Set(manifest.requiredExports ?? []);
  switch (manifest.callingConvention) {
    case 'wasi-command':
      out.add(kind === 'component' ? 'wasi:cli/run' : '_start');
      break;
    case 'json':
    case 'function':
    case 'component':
      out.add(manifest.entry);
      break;
  }
  return [...out];
}

function checkExports(m: ModuleMetadata, manifest: PackageManifest): VerifyCheck {
  const names = exportNames(m);
  const wanted = requiredExports(manifest, m.kind);
  const missing = wanted.filter((w) => !hasExport(names, w));
  if (missing.length === 0)
    return pass(
      'exports',
      wanted.length === 1
        ? `the required export is present: ${wanted[0]}`
        : `all ${wanted.length} required exports present: ${list(wanted)}`,
    );
  return fail(
    'exports',
    `missing required export${missing.length === 1 ? '' : 's'} ${list(missing)}; the module exports ${list(names) || 'nothing'}`,
  );
}

/** A glob over import names: `*` is any run of characters, `?` one character, everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** The names an import is matched by: `module.name` and `module` for a core module, the import name for a component. */
function importKeys(m: ModuleMetadata): { label: string; keys: string[] }[] {
  if (m.kind === 'core')
    return m.imports.map((i) => ({ label: `${i.module}.${i.name}`, keys: [`${i.module}.${i.name}`, i.module] }));
  return (m.component?.imports ?? []).map((i) => ({ label: i.name, keys: [i.name] }));
}

function checkImports(m: ModuleMetadata, manifest: PackageManifest): VerifyCheck {
  const patterns = manifest.forbiddenImports ?? [];
  const imports = importKeys(m);
  if (patterns.length === 0)
    return pass('imports', `no forbidden imports declared (${plural(imports.length, 'import')})`);
  const compiled = patterns.map((p) => ({ p, re: globToRegExp(p) }));
  const hits: string[] = [];
  for (const i of imports) {
    const hit = compiled.find(({ re }) => i.keys.some((k) => re.test(k)));
    if (hit) hits.push(`${i.label} (matches ${hit.p})`);
  }
  if (hits.length === 0)
    return pass(
      'imports',
      `no import matches the ${plural(patterns.length, 'forbidden pattern')} (${plural(imports.length, 'import')} checked)`,
    );
  return fail(
    'imports',
    `forbidden import${hits.length === 1 ? '' : 's'}: ${list(hits)}; rebuild without them or change forbiddenImports`,
  );
}

function checkCapabilities(m: ModuleMetadata, manifest: PackageManifest): VerifyCheck {
  const needed: string[] = m.capabilities;
  const declared = manifest.capabilities;
  const undeclared = needed.filter((c) => !declared.includes(c));
  const unneeded = declared.filter((c) => !needed.includes(c));
  if (undeclared.length > 0)
    return fail(
      'capabilities',
      `the module needs ${list(undeclared)} (from its imports) but the manifest does not declare ${undeclared.length === 1 ? 'it' : 'them'}; add ${undeclared.length === 1 ? 'it' : 'them'} to capabilities or remove the imports`,
    );
  const base = needed.length
    ? `declared capabilities cover what the module needs: ${list(needed)}`
    : 'the module needs no capabilities';
  if (unneeded.length === 0) return pass('capabilities', base);
  return pass(
    'capabilities',
    `${base}; note: ${list(unneeded)} ${unneeded.length === 1 ? 'is' : 'are'} declared but not needed (a narrower declaration grants less)`,
  );
}

function checkBudget(name: 'size' | 'gzip-size', actual: number, budget: number, configured: boolean): VerifyCheck {
  const what = name === 'size' ? 'raw size' : 'gzip size';
  const source = configured ? 'manifest budget' : 'default budget';
  if (actual <= budget)
    return pass(name, `${what} ${formatSize(actual)} (${actual} bytes) within the ${source} of ${formatSize(budget)}`);
  return fail(
    name,
    `${what} ${formatSize(actual)} (${actual} bytes) is over the ${source} of ${formatSize(budget)} (${budget} bytes) by ${actual - budget} bytes; shrink the module (try --optimize) or raise budget.${name === 'size' ? 'rawBytes' : 'gzipBytes'}`,
  );
}

const NUMERIC = new Set(['i32', 'i64', 'f32', 'f64']);

function funcType(m: ModuleMetadata, name: string): { params: string[]; results: string[] } | string {
  const e = m.exports.find((x) => x.name === name);
  if (!e) return `no export "${name}"`;
  if (e.kind !== 'func') return `"${name}" is a ${e.kind}, not a function`;
  return parseFuncType(e.type);
}

const sig = (t: { params: string[]; results: string[] }) => `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;

/** The calling convention's shape: each one's rules, checked against the exports' types. */
function checkConvention(m: ModuleMetadata, manifest: PackageManifest): VerifyCheck {
  const conv = manifest.callingConvention;
  const problems: string[] = [];
  if (conv === 'component') {
    if (m.kind !== 'component')
      return fail('convention', 'the component convention needs a component; this is a core module');
    const fn = m.component?.exportedFunctions.find((f) => f.name === manifest.entry);
    if (!fn) return fail('convention', `the component exports no function "${manifest.entry}" to use as the entry`);
    return pass('convention', `component entry ${fn.name}: ${fn.signature}`);
  }
  if (conv === 'wasi-command' && m.kind === 'component') {
    if (manifest.entry !== '_start') problems.push(`a WASI command's entry is _start, not "${manifest.entry}"`);
    if (!hasExport(exportNames(m), 'wasi:cli/run')) problems.push('a command component must export wasi:cli/run');
    return problems.length
      ? fail('convention', `not a WASI command: ${problems.join('; ')}`)
      : pass('convention', 'a WASI preview2 command component (exports wasi:cli/run)');
  }
  if (m.kind === 'component')
    return fail(
      'convention',
      `the ${conv} convention needs a core module; this is a component (use callingConvention: component)`,
    );
  switch (conv) {
    case 'wasi-command': {
      if (manifest.entry !== '_start') problems.push(`a WASI command's entry is _start, not "${manifest.entry}"`);
      const start = funcType(m, '_start');
      if (typeof start === 'string') problems.push(start);
      else if (start.params.length || start.results.length)
        problems.push(`_start must take and return nothing, it is ${sig(start)}`);
      if (problems.length) return fail('convention', `not a WASI command: ${problems.join('; ')}`);
      return pass(
        'convention',
        `a WASI command (_start () -> ()${m.wasi === 'none' ? ', no WASI imports' : `, WASI ${m.wasi}`})`,
      );
    }
    case 'json': {
      if (!m.exports.some((e) => e.name === 'memory' && e.kind === 'memory'))
        problems.push('no memory exported as "memory"');
      const alloc = funcType(m, 'alloc');
      if (typeof alloc === 'string') problems.push(alloc);
      else if (alloc.params.join(' ') !== 'i32' || alloc.results.join(' ') !== 'i32')
        problems.push(`alloc must be (i32) -> (i32), it is ${sig(alloc)}`);
      const entry = funcType(m, manifest.entry);
      if (typeof entry === 'string') problems.push(entry);
      else {
        const results = entry.results.join(' ');
        if (entry.params.join(' ') !== 'i32 i32' || (results !== 'i64' && results !== 'i32 i32'))
          problems.push(
            `${manifest.entry} must be (i32, i32) -> (i64) or (i32, i32) -> (i32, i32), it is ${sig(entry)}`,
          );
      }
      if (problems.length) return fail('convention', `does not follow the JSON call protocol: ${problems.join('; ')}`);
      return pass(
        'convention',
        `JSON call protocol: memory, alloc (i32) -> (i32), ${manifest.entry} ${sig(entry as { params: string[]; results: string[] })}`,
      );
    }
    case 'function': {
      const entry = funcType(m, manifest.entry);
      if (typeof entry === 'string') return fail('convention', `no entry function: ${entry}`);
      const odd = [...entry.params, ...entry.results].filter((t) => !NUMERIC.has(t));
      if (odd.length)
        return fail(
          'convention',
          `${manifest.entry} ${sig(entry)} uses ${list([...new Set(odd)])}; a function call passes only i32, i64, f32 and f64`,
        );
      return pass('convention', `function entry ${manifest.entry} ${sig(entry)}`);
    }
  }
}

/** Runs every check over one module; `ok` is true only when all pass. */
export function runChecks(input: CheckInput): VerifyReport {
  const { report, manifest } = input;
  const m = report.metadata;
  const budget = manifest.budget ?? {};
  const decoded = (name: CheckName, fn: (meta: ModuleMetadata) => VerifyCheck) => (m ? fn(m) : skip(name));
  const checks = [
    checkValid(report),
    decoded('exports', (meta) => checkExports(meta, manifest)),
    decoded('imports', (meta) => checkImports(meta, manifest)),
    decoded('capabilities', (meta) => checkCapabilities(meta, manifest)),
    checkBudget('size', input.size, budget.rawBytes ?? DEFAULT_BUDGET.rawBytes, budget.rawBytes !== undefined),
    checkBudget(
      'gzip-size',
      input.gzipSize,
      budget.gzipBytes ?? DEFAULT_BUDGET.gzipBytes,
      budget.gzipBytes !== undefined,
    ),
    decoded('convention', (meta) => checkConvention(meta, manifest)),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}
