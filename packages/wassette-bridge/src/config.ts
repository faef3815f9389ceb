import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { WassetteConfig } from './client.js';
import { DEFAULT_CONFIG } from './client.js';
import { BridgeError } from './errors.js';

/** The `[wassette]` table of portalis.toml; keys are snake_case as users write them. */
const tableSchema = z.strictObject({
  enabled: z.boolean().optional(),
  engine: z.enum(['js', 'wasmtime', 'auto']).optional(),
  max_memory_mb: z.number().positive().optional(),
  max_execution_time_secs: z.number().positive().optional(),
  fuel: z.number().int().positive().optional(),
  max_output_bytes: z.number().int().nonnegative().optional(),
  enable_sandbox: z.boolean().optional(),
  cache_dir: z.string().min(1).optional(),
  audit_log: z.string().min(1).optional(),
});
type Table = z.infer<typeof tableSchema>;

/** Environment variables and the table key each one sets. */
export const CONFIG_ENV: Readonly<Record<string, keyof Table>> = {
  PORTALIS_WASSETTE_ENABLED: 'enabled',
  PORTALIS_WASSETTE_ENGINE: 'engine',
  PORTALIS_WASSETTE_MAX_MEMORY_MB: 'max_memory_mb',
  PORTALIS_WASSETTE_MAX_EXECUTION_TIME_SECS: 'max_execution_time_secs',
  PORTALIS_WASSETTE_FUEL: 'fuel',
  PORTALIS_WASSETTE_MAX_OUTPUT_BYTES: 'max_output_bytes',
  PORTALIS_WASSETTE_ENABLE_SANDBOX: 'enable_sandbox',
  PORTALIS_WASSETTE_CACHE_DIR: 'cache_dir',
  PORTALIS_WASSETTE_AUDIT_LOG: 'audit_log',
};

export interface LoadConfigOptions {
  /** Folder whose portalis.toml is read (when `configFile` is not given). Default: the current directory. */
  cwd?: string;
  /** An explicit config file; unlike the default one, it must exist. */
  configFile?: string;
  /** The environment to read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Explicit options and CLI flags: they win over everything else. */
  overrides?: Partial<Omit<WassetteConfig, 'limits'>> & { limits?: Partial<WassetteConfig['limits']> };
}

function invalid(source: string, key: string, message: string): BridgeError {
  return new BridgeError('invalid-input', `${source} ${key}: ${message}`, { details: { source, key } });
}

function check(source: string, raw: unknown): Table {
  const parsed = tableSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path.length ? issue.path.join('.') : ((issue as { keys?: string[] })?.keys?.join(', ') ?? '');
  throw invalid(source, key, issue?.message ?? 'invalid value');
}

function readToml(file: string, required: boolean): Table {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BridgeError('invalid-input', `cannot read config file ${file}: ${(e as Error).message}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new BridgeError('invalid-input', `${file} is not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  return check(`${file} [wassette]`, doc.wassette ?? {});
}

function fromEnv(env: Readonly<Record<string, string | undefined>>): Table {
  const raw: Record<string, unknown> = {};
  // PORTALIS_ENABLE_WASSETTE=1 is the feature flag for the Wasmtime engine.
  const flag = env.PORTALIS_ENABLE_WASSETTE;
  if (flag !== undefined && flag !== '') {
    if (!/^(1|0|true|false)$/i.test(flag))
      throw invalid('environment', 'PORTALIS_ENABLE_WASSETTE', `expected 1 or 0, got "${flag}"`);
    if (/^(1|true)$/i.test(flag)) raw.engine = 'wasmtime';
  }
  for (const [name, key] of Object.entries(CONFIG_ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const shape = tableSchema.shape[key];
    let v: unknown = value;
    if (shape.unwrap() instanceof z.ZodBoolean) {
      if (!/^(1|0|true|false)$/i.test(value))
        throw invalid('environment', name, `expected true or false, got "${value}"`);
      v = /^(1|true)$/i.test(value);
    } else if (shape.unwrap() instanceof z.ZodNumber) {
      v = Number(value);
      if (!Number.isFinite(v)) throw invalid('environment', name, `expected a number, got "${value}"`);
    }
    const parsed = shape.safeParse(v);
    if (!parsed.success) throw invalid('environment', name, parsed.error.issues[0]?.message ?? 'invalid value');
    raw[key] = parsed.data;
  }
  return raw as Table;
}

function apply(base: WassetteConfig, t: Table): WassetteConfig {
  return {
    ...base,
    ...(t.enabled === undefined ? {} : { enabled: t.enabled }),
    ...(t.engine === undefined ? {} : { engine: t.engine }),
    ...(t.enable_sandbox === undefined ? {} : { enableSandbox: t.enable_sandbox }),
    ...(t.cache_dir === undefined ? {} : { cacheDir: t.cache_dir }),
    ...(t.audit_log === undefined ? {} : { auditLog: t.audit_log }),
    limits: {
      ...base.limits,
      ...(t.max_memory_mb === undefined ? {} : { maxMemoryBytes: Math.round(t.max_memory_mb * 1024 * 1024) }),
      ...(t.max_execution_time_secs === undefined
        ? {}
        : { maxExecutionTimeMs: Math.round(t.max_execution_time_secs * 1000) }),
      ...(t.fuel === undefined ? {} : { fuel: t.fuel }),
      ...(t.max_output_bytes === undefined ? {} : { maxOutputBytes: t.max_output_bytes }),
    },
  };
}

/**
 * Builds the configuration from its sources, lowest first: built-in defaults, the `[wassette]`
 * table of portalis.toml, the environment, then explicit options. Errors name the source and key.
 */
export function loadWassetteConfig(options: LoadConfigOptions = {}): WassetteConfig {
  const file = options.configFile ?? join(options.cwd ?? process.cwd(), 'portalis.toml');
  let config = apply(DEFAULT_CONFIG, readToml(file, options.configFile !== undefined));
  config = apply(config, fromEnv(options.env ?? process.env));
  const o = options.overrides ?? {};
  return {
    ...config,
    ...o,
    limits: { ...config.limits, ...o.limits },
    validation: { ...config.validation, ...o.validation },
  };
}
