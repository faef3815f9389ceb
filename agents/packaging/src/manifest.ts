import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Capability } from '@portalis/wassette-bridge';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PackagingError } from './errors.js';

/** How a host calls the module; the `convention` check holds the module to it. */
export type CallingConvention = 'wasi-command' | 'json' | 'function' | 'component';

/** The engines a package may ask for. */
export type EngineName = 'js' | 'wasmtime';

/** What the author says about a module: the input to `verify` and `package`. */
export interface PackageManifest {
  name: string;
  version: string;
  description?: string;
  /** The export a host calls: `_start` for a WASI command, the function name otherwise. */
  entry: string;
  callingConvention: CallingConvention;
  /** Capabilities granted to the module (see the bridge's `Capability`); `[]` when it needs none. */
  capabilities: string[];
  inputSchema?: unknown;
  outputSchema?: unknown;
  engine?: { min?: string; engines?: string[] };
  /** Exports that must be present besides the entry. */
  requiredExports?: string[];
  /** Import globs that must not appear: `wasi_snapshot_preview1.sock_*`, `env` (a whole module). */
  forbiddenImports?: string[];
  budget?: { rawBytes?: number; gzipBytes?: number };
}

/** Every capability the bridge derives from imports; a `Record` so that a new one fails to compile here. */
const CAPABILITY_SET: Record<Capability, true> = {
  filesystem: true,
  env: true,
  args: true,
  clocks: true,
  random: true,
  sockets: true,
  http: true,
  exit: true,
  stdio: true,
  poll: true,
};
export const CAPABILITIES = Object.keys(CAPABILITY_SET) as Capability[];

export const CALLING_CONVENTIONS: readonly CallingConvention[] = ['wasi-command', 'json', 'function', 'component'];

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const semver = (what: string) =>
  z
    .string({ error: `must be a ${what} such as 1.0.0 (in YAML, quote it: "1.0")` })
    .regex(SEMVER, `must be a ${what} such as 1.0.0`);

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?$/i;
const UNIT: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
};

/** A byte count: an integer, or text such as `300K` / `1.5 MiB` (K and KB are 1024 bytes here). */
const byteSize = z
  .union([z.number().int('must be a whole number of bytes').positive('must be more than 0 bytes'), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = SIZE.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected a byte count such as 307200, 300K or 1.5M, got "${v}"` });
      return z.NEVER;
    }
    return Math.floor(Number(m[1]) * (UNIT[(m[2] ?? 'b').toLowerCase()] ?? 1));
  });

const jsonSchema = z.union([z.record(z.string(), z.unknown()), z.boolean()], {
  error: 'must be a JSON Schema (an object, or true/false)',
});

const manifestFields = {
  name: z
    .string({ error: 'must be a package name such as calculator' })
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,213}$/,
      'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (it names the package directory)',
    ),
  version: semver('semantic version'),
  description: z.string().optional(),
  entry: z.string().min(1, 'must name an export').optional(),
  callingConvention: z.enum(CALLING_CONVENTIONS as [CallingConvention, ...CallingConvention[]], {
    error: `must be one of ${CALLING_CONVENTIONS.join(', ')}`,
  }),
  capabilities: z
    .array(
      z.enum(CAPABILITIES as [Capability, ...Capability[]], { error: `must be one of ${CAPABILITIES.join(', ')}` }),
    )
    .default([]),
  inputSchema: jsonSchema.optional(),
  outputSchema: jsonSchema.optional(),
  engine: z
    .strictObject({
      min: semver('Portalis version').optional(),
      engines: z
        .array(z.enum(['js', 'wasmtime'], { error: 'must be js or wasmtime' }))
        .min(1)
        .optional(),
    })
    .optional(),
  requiredExports: z.array(z.string().min(1)).optional(),
  forbiddenImports: z.array(z.string().min(1)).optional(),
  budget: z.strictObject({ rawBytes: byteSize.optional(), gzipBytes: byteSize.optional() }).optional(),
};

function withEntry<T extends { entry?: string | undefined; callingConvention: CallingConvention }>(
  m: T,
  ctx: z.RefinementCtx,
): T & { entry: string } {
  if (m.entry !== undefined) return m as T & { entry: string };
  if (m.callingConvention === 'wasi-command') return { ...m, entry: '_start' };
  ctx.addIssue({
    code: 'custom',
    path: ['entry'],
    message: `required for the ${m.callingConvention} convention; name the exported function a host calls`,
  });
  return z.NEVER;
}

const manifestSchema = z.strictObject(manifestFields).transform(withEntry);

/** What `package` adds; `verifyPackage` reads it back with this schema. */
const packagedSchema = z
  .strictObject({
    formatVersion: z.literal(1, { error: 'must be 1 (this Portalis reads package format 1)' }),
    ...manifestFields,
    engine: z.strictObject({
      min: semver('Portalis version'),
      engines: z.array(z.enum(['js', 'wasmtime'])).min(1),
      kind: z.enum(['core', 'component']),
      wasi: z.enum(['none', 'preview1', 'preview2']),
      features: z.array(z.string()),
    }),
    module: z.literal('module.wasm'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    size: z.number().int().nonnegative(),
    gzipSize: z.number().int().nonnegative(),
    optimized: z.strictObject({ tool: z.string(), before: z.number().int(), after: z.number().int() }).optional(),
    createdBy: z.literal('portalis'),
    portalisVersion: z.string(),
    signer: z.strictObject({
      algorithm: z.literal('ed25519'),
      keyId: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be SHA256: and 43 base64 characters'),
      publicKey: z.string().regex(/^[A-Za-z0-9+/]+=*$/, 'must be the base64 of an SPKI DER public key'),
    }),
  })
  .transform(withEntry);

export type PackagedManifest = z.output<typeof packagedSchema>;

/** `permissions.storage.allow[0]`-style path of a zod issue, including an unknown key's own name. */
function issueText(issue: z.core.$ZodIssue): string {
  const path = issue.path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
    return `unknown field${keys.length === 1 ? '' : 's'} ${keys.join(', ')}; the fields are described in agents/packaging/README.md`;
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return `field ${path || '(top level)'}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

function parseWith<T>(schema: z.ZodType<T>, doc: unknown, where: string): T {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new PackagingError('bad-manifest', `${where}the manifest must be a mapping of fields (name, version, ...)`);
  const parsed = schema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PackagingError('bad-manifest', `${where}${issue ? issueText(issue) : 'is not a valid manifest'}`, {
    details: { field: issue?.path.join('.') },
  });
}

/** Parses manifest text: JSON when `source` ends in `.json`, YAML otherwise. Errors name the field path. */
export function parseManifest(text: string, source?: string): PackageManifest {
  const where = source ? `${source}: ` : '';
  let doc: unknown;
  try {
    doc = source && extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const kind = source && extname(source).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    throw new PackagingError(
      'bad-manifest',
      `${where}the manifest is not valid ${kind}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  return parseWith(manifestSchema, doc, where);
}

/** Checks a manifest given as an object (values are checked as strictly as a file's). */
export function checkManifest(manifest: unknown, source?: string): PackageManifest {
  return parseWith(manifestSchema, manifest, source ? `${source}: ` : '');
}

/** Reads a manifest from a path (YAML or JSON), or checks one given as an object. */
export async function loadManifest(manifest: PackageManifest | string): Promise<PackageManifest> {
  if (typeof manifest !== 'string') return checkManifest(manifest);
  let text: string;
  try {
    text = await readFile(manifest, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PackagingError(
      'bad-manifest',
      code === 'ENOENT'
        ? `no such manifest file: ${manifest}; check the --manifest path`
        : `cannot read the manifest ${manifest}: ${(e as Error).message}`,
    );
  }
  return parseManifest(text, manifest);
}

/** Reads a package's manifest.json back (the stricter packaged format). */
export function parsePackagedManifest(text: string): PackagedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PackagingError('bad-manifest', `manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  return parseWith(packagedSchema, doc, 'manifest.json: ');
}
