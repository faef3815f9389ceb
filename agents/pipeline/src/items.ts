import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** One source to take through the pipeline, with the files that test and describe it. */
export interface PipelineItem {
  /** The item's name: its directory's name, or the name given in the config. */
  name: string;
  /** The source file the transpiler compiles. */
  source: string;
  /** A test spec (YAML or JSON) for the test agent, if the item has one. */
  spec: string | undefined;
  /** The package manifest (YAML or JSON); required: packaging needs it. */
  manifest: string;
}

/** What makes a file a source, by extension; the transpiler decides whether it can compile it. */
export const SOURCE_EXTENSIONS = ['.wat', '.ts', '.c', '.rs', '.js', '.mjs'];
const SPEC_NAMES = ['test.yaml', 'test.yml', 'test.json', 'spec.yaml', 'spec.yml', 'spec.json'];
const MANIFEST_NAMES = ['manifest.yaml', 'manifest.yml', 'manifest.json'];

export class PipelineConfigError extends Error {
  override readonly name = 'PipelineConfigError';
}

const configSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        source: z.string().min(1),
        spec: z.string().min(1).optional(),
        manifest: z.string().min(1),
      }),
    )
    .min(1),
});

function firstExisting(dir: string, names: string[]): string | undefined {
  for (const n of names) {
    const p = join(dir, n);
    try {
      if (statSync(p).isFile()) return p;
    } catch {}
  }
  return undefined;
}

/** An item directory: exactly one source file, a manifest, optionally a test spec. */
function itemFromDir(dir: string, name: string): PipelineItem {
  const sources = readdirSync(dir)
    .filter((f) => SOURCE_EXTENSIONS.includes(extname(f)) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
  if (sources.length !== 1)
    throw new PipelineConfigError(
      `${dir} must hold exactly one source file (${SOURCE_EXTENSIONS.join(', ')}), found ${sources.length ? sources.map((s) => s.slice(dir.length + 1)).join(', ') : 'none'}`,
    );
  const manifest = firstExisting(dir, MANIFEST_NAMES);
  if (!manifest) throw new PipelineConfigError(`${dir} has no manifest (${MANIFEST_NAMES.join(' or ')})`);
  return { name, source: sources[0] as string, spec: firstExisting(dir, SPEC_NAMES), manifest };
}

/**
 * The items under `target`: a directory whose subdirectories are items (or that is one item
 * itself), or a YAML/JSON config file listing `items: [{ name, source, spec?, manifest }]` with
 * paths relative to the file.
 */
export function discoverItems(target: string): PipelineItem[] {
  const path = resolve(target);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new PipelineConfigError(`${target} does not exist; give a directory of examples or a pipeline config file`);
  }
  if (stat.isDirectory()) {
    const subdirs = readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name)
      .sort();
    const items = subdirs
      .filter((d) => firstExisting(join(path, d), MANIFEST_NAMES))
      .map((d) => itemFromDir(join(path, d), d));
    if (items.length > 0) return items;
    if (firstExisting(path, MANIFEST_NAMES)) return [itemFromDir(path, path.split('/').pop() ?? 'item')];
    throw new PipelineConfigError(
      `${target} holds no items: an item is a directory with one source file and a manifest.yaml`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PipelineConfigError(`${target} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineConfigError(`${target}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const base = dirname(path);
  const names = new Set<string>();
  return parsed.data.items.map((i) => {
    if (names.has(i.name)) throw new PipelineConfigError(`${target}: item name "${i.name}" is used twice`);
    names.add(i.name);
    return {
      name: i.name,
      source: resolve(base, i.source),
      spec: i.spec === undefined ? undefined : resolve(base, i.spec),
      manifest: resolve(base, i.manifest),
    };
  });
}
