/**
 * Builds every test fixture from source into fixtures/build (git-ignored):
 *   fixtures/wat/NAME.wat            -> NAME.wasm            (wabt; `;; features: simd threads` on line 1 enables proposals)
 *   fixtures/as/NAME.ts              -> NAME.wasm            (AssemblyScript `asc`, optimized; `// asc: FLAGS` on line 1 adds flags)
 *   fixtures/components/NAME/*.wat + world.wit -> NAME.component.wasm (jco componentEmbed + componentNew;
 *                                       `// wit-deps: wasi@0.2.12` on line 1 adds jco's WASI WIT packages)
 *   the WASI commands in ADAPTED     -> NAME.command.component.wasm (the preview1 module wrapped into a
 *                                       wasi:cli/run component with jco's preview1 command adapter)
 * A stamp of the sources' digest makes a second run with unchanged sources free.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
export const fixturesSrc = join(root, 'fixtures');
export const fixturesOut = join(fixturesSrc, 'build');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== fixturesOut) out.push(...(await listFiles(p)));
    } else out.push(p);
  }
  return out.sort();
}

async function sourcesDigest(): Promise<string> {
  const h = createHash('sha256');
  for (const f of await listFiles(fixturesSrc)) {
    h.update(f.slice(root.length));
    h.update(await readFile(f));
  }
  h.update(await readFile(fileURLToPath(import.meta.url)));
  return h.digest('hex');
}

type WabtFeatures = Record<string, boolean>;

function featuresOf(source: string): WabtFeatures {
  const m = /^;;\s*features:\s*(.*)$/m.exec(source.split('\n', 1)[0] ?? '');
  const f: WabtFeatures = {};
  for (const name of m?.[1]?.split(/[\s,]+/).filter(Boolean) ?? []) f[name] = true;
  return f;
}

export async function watToWasm(source: string, file = 'input.wat'): Promise<Uint8Array> {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const mod = wabt.parseWat(file, source, featuresOf(source));
  try {
    mod.resolveNames();
    // wabt's validate takes the feature flags too; its typings omit the parameter.
    (mod as unknown as { validate(features: WabtFeatures): void }).validate(featuresOf(source));
    return new Uint8Array(mod.toBinary({ write_debug_names: true }).buffer);
  } finally {
    mod.destroy();
  }
}

async function buildWat(file: string, outDir: string): Promise<void> {
  const bytes = await watToWasm(await readFile(file, 'utf8'), basename(file));
  await writeFile(join(outDir, `${basename(file, '.wat')}.wasm`), bytes);
}

async function buildAssemblyScript(file: string, outDir: string): Promise<void> {
  const asc = join(root, 'node_modules', '.bin', 'asc');
  const out = join(outDir, `${basename(file, '.ts')}.wasm`);
  // A first line `// asc: FLAGS` adds compiler flags for that fixture (e.g. `--use abort=`).
  const extra = /^\/\/\s*asc:\s*(.*)$/.exec((await readFile(file, 'utf8')).split('\n', 1)[0] ?? '')?.[1];
  const flags = extra ? extra.split(/\s+/).filter(Boolean) : [];
  await promisify(execFile)(asc, [file, '--outFile', out, '--optimize', '--runtime', 'stub', '--noAssert', ...flags], {
    cwd: root,
  });
}

/**
 * The WASI 0.2 WIT packages jco ships (lib/wit/builtin/VERSION), each rewritten into the nested
 * `package NAME { ... }` form, so that a fixture's world.wit can use them without a deps folder.
 */
async function wasiWit(version: string): Promise<string> {
  const dir = join(root, 'node_modules/@bytecodealliance/jco/lib/wit/builtin', version);
  const out: string[] = [];
  for (const file of await listFiles(dir)) {
    if (!file.endsWith('.wit')) continue;
    const text = await readFile(file, 'utf8');
    const head = /^package\s+([^;\s]+);/m.exec(text);
    if (!head) throw new Error(`${file} has no package line`);
    out.push(`package ${head[1]} {\n${text.replace(head[0], '')}\n}`);
  }
  if (out.length === 0) throw new Error(`no WIT under ${dir}: is @bytecodealliance/jco installed?`);
  return out.join('\n');
}

async function buildComponent(dir: string, outDir: string): Promise<void> {
  const jco = await import('@bytecodealliance/jco');
  const coreWat = await readFile(join(dir, 'core.wat'), 'utf8');
  let witSource = await readFile(join(dir, 'world.wit'), 'utf8');
  // A first line `// wit-deps: wasi@0.2.12` adds jco's WASI packages of that version.
  const deps = /^\/\/\s*wit-deps:\s*wasi@(\S+)/.exec(witSource.split('\n', 1)[0] ?? '')?.[1];
  if (deps) witSource += `\n${await wasiWit(deps)}`;
  const core = await watToWasm(coreWat, `${basename(dir)}/core.wat`);
  const embedded = await jco.componentEmbed({ binary: core, witSource, stringEncoding: 'utf8' });
  const component = await jco.componentNew(embedded);
  await writeFile(join(outDir, `${basename(dir)}.component.wasm`), component);
}

/** WAT commands that are also built as WASI preview2 command components. */
const ADAPTED = ['hello-wasi', 'guest-echo', 'guest-fs', 'guest-loop', 'guest-spam'];

async function buildAdapted(name: string, outDir: string): Promise<void> {
  const jco = await import('@bytecodealliance/jco');
  const core = await watToWasm(await readFile(join(fixturesSrc, 'wat', `${name}.wat`), 'utf8'), `${name}.wat`);
  const adapter = await readFile(
    join(root, 'node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.command.wasm'),
  );
  const embedded = await jco.componentEmbed({
    binary: core,
    witSource: `package portalis:fixtures; world ${name} {}`,
    stringEncoding: 'utf8',
  });
  const component = await jco.componentNew(embedded, [['wasi_snapshot_preview1', adapter]]);
  await writeFile(join(outDir, `${name}.command.component.wasm`), component);
}

/** Builds all fixtures unless the stamp says the sources have not changed. Returns the output folder. */
export async function buildFixtures(options: { force?: boolean } = {}): Promise<string> {
  const digest = await sourcesDigest();
  const stampFile = join(fixturesOut, '.stamp');
  if (!options.force) {
    const stamp = await readFile(stampFile, 'utf8').catch(() => '');
    if (stamp === digest) return fixturesOut;
  }
  // Build into a private folder and swap it in, so parallel test runs never see half a build.
  const tmp = `${fixturesOut}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  const jobs: Promise<void>[] = [];
  for (const f of await listFiles(join(fixturesSrc, 'wat'))) if (f.endsWith('.wat')) jobs.push(buildWat(f, tmp));
  for (const f of await listFiles(join(fixturesSrc, 'as')))
    if (f.endsWith('.ts')) jobs.push(buildAssemblyScript(f, tmp));
  const componentDirs = new Set(
    (await listFiles(join(fixturesSrc, 'components'))).filter((f) => f.endsWith('world.wit')).map((f) => dirname(f)),
  );
  for (const d of componentDirs) jobs.push(buildComponent(d, tmp));
  for (const name of ADAPTED) jobs.push(buildAdapted(name, tmp));
  const results = await Promise.allSettled(jobs);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`fixture build failed:\n${failures.map((f) => String(f.reason?.message ?? f.reason)).join('\n')}`);
  }
  await writeFile(join(tmp, '.stamp'), digest);
  const old = `${fixturesOut}.old-${process.pid}-${Date.now()}`;
  await rename(fixturesOut, old).catch(() => undefined);
  try {
    await rename(tmp, fixturesOut);
  } catch {
    // Another process swapped in an identical build first.
    await rm(tmp, { recursive: true, force: true });
  }
  await rm(old, { recursive: true, force: true });
  return fixturesOut;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildFixtures({ force: process.argv.includes('--force') });
  const built = (await readdir(out)).filter((f) => f.endsWith('.wasm'));
  console.log(`built ${built.length} fixtures into ${out}`);
}
