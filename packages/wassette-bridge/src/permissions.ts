import { isAbsolute, normalize, posix, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BridgeError } from './errors.js';

/** A directory the guest may reach: where it is on the host, where the guest sees it, and how. */
export interface PathGrant {
  hostPath: string;
  guestPath: string;
  readOnly: boolean;
}

/** An outgoing network destination: a host name or glob (`*.example.com`), optionally one port. */
export interface HostGrant {
  host: string;
  port: number | undefined;
}

/**
 * What a guest may touch. Deny by default: each `allow*` switch is off unless granted, and a
 * switch without entries in its list grants nothing.
 */
export interface ComponentPermissions {
  allowFs: boolean;
  allowedPaths: readonly PathGrant[];
  allowEnv: boolean;
  /** Exact names (`HOME`) or globs (`APP_*`). */
  allowedEnvVars: readonly string[];
  allowNetwork: boolean;
  allowedHosts: readonly HostGrant[];
}

export const ComponentPermissions = {
  /** Nothing at all: no directory, no env var, no socket. */
  none(): ComponentPermissions {
    return Object.freeze({
      allowFs: false,
      allowedPaths: Object.freeze([]),
      allowEnv: false,
      allowedEnvVars: Object.freeze([]),
      allowNetwork: false,
      allowedHosts: Object.freeze([]),
    });
  },

  /** For test runs: one scratch directory read-write at `/tmp`, and `TEST_*` variables. */
  forTesting(scratchDir: string): ComponentPermissions {
    return Object.freeze({
      ...ComponentPermissions.none(),
      allowFs: true,
      allowedPaths: Object.freeze([{ hostPath: resolve(scratchDir), guestPath: '/tmp', readOnly: false }]),
      allowEnv: true,
      allowedEnvVars: Object.freeze(['TEST_*']),
    });
  },
};

/** What a policy file grants, plus the limits it sets. */
export interface Policy {
  permissions: ComponentPermissions;
  /** From `permissions.resources.limits.memory`, in bytes. */
  maxMemoryBytes: number | undefined;
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1000,
  ki: 1024,
  m: 1000 ** 2,
  mi: 1024 ** 2,
  g: 1000 ** 3,
  gi: 1024 ** 3,
};

/** Kubernetes-style quantities: `512Mi`, `1Gi`, `64M`, `1048576`. */
export function parseMemoryQuantity(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kKmMgG]i?)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

const storageEntry = z.strictObject({
  uri: z.string().regex(/^fs:\/\/.+/, 'must be an fs:// URI such as fs:///data or fs://./workspace'),
  access: z.array(z.enum(['read', 'write'])).min(1, 'must list read, write or both'),
});
const networkEntry = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
});
const envEntry = z.strictObject({
  key: z.string().regex(/^[A-Za-z_*][A-Za-z0-9_*]*$/, 'must be a variable name or a glob such as APP_*'),
});
const allowList = <T extends z.ZodType>(entry: T) => z.strictObject({ allow: z.array(entry).default([]) });

const policySchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  description: z.string().optional(),
  permissions: z
    .strictObject({
      storage: allowList(storageEntry).optional(),
      network: allowList(networkEntry).optional(),
      environment: allowList(envEntry).optional(),
      resources: z
        .strictObject({
          limits: z.strictObject({
            memory: z
              .union([z.string(), z.number()])
              .refine((v) => parseMemoryQuantity(String(v)) !== undefined, 'must be a size such as 512Mi, 1Gi or 65536')
              .optional(),
          }),
        })
        .optional(),
    })
    .default({}),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/** The guest sees a granted directory at the path the URI names; a relative URI becomes `/name`. */
function pathGrant(uri: string, access: readonly string[], baseDir: string): PathGrant {
  const raw = uri.slice('fs://'.length);
  const hostPath = resolve(baseDir, raw);
  const guestPath = isAbsolute(raw) ? posix.normalize(raw) : posix.join('/', normalize(raw).split('\\').join('/'));
  return { hostPath, guestPath, readOnly: !access.includes('write') };
}

/**
 * Reads a Wassette-style policy (YAML or JSON). Unknown fields and bad values are errors that name
 * the field path, for example `permissions.storage.allow[0].access[1]`.
 */
export function policyFromYaml(text: string, options: { baseDir?: string; source?: string } = {}): Policy {
  const where = options.source ? `${options.source}: ` : '';
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new BridgeError(
      'invalid-input',
      `${where}the policy is not valid YAML: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = policySchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = fieldPath(issue?.path ?? []) || '(top level)';
    throw new BridgeError('invalid-input', `${where}policy field ${path}: ${issue?.message ?? 'invalid'}`, {
      details: { field: path },
    });
  }
  const p = parsed.data.permissions;
  const baseDir = options.baseDir ?? process.cwd();
  const allowedPaths = (p.storage?.allow ?? []).map((s) => pathGrant(s.uri, s.access, baseDir));
  const allowedHosts = (p.network?.allow ?? []).map((n) => ({ host: n.host, port: n.port }));
  const allowedEnvVars = (p.environment?.allow ?? []).map((e) => e.key);
  const memory = p.resources?.limits.memory;
  return {
    permissions: Object.freeze({
      allowFs: allowedPaths.length > 0,
      allowedPaths: Object.freeze(allowedPaths),
      allowEnv: allowedEnvVars.length > 0,
      allowedEnvVars: Object.freeze(allowedEnvVars),
      allowNetwork: allowedHosts.length > 0,
      allowedHosts: Object.freeze(allowedHosts),
    }),
    maxMemoryBytes: memory === undefined ? undefined : parseMemoryQuantity(String(memory)),
  };
}
