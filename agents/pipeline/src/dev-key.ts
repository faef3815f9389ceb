import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@portalis/agent-packaging';

/** Where the development key lives: `PORTALIS_DEV_KEY_DIR`, else `~/.config/portalis`. */
export function devKeyDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.PORTALIS_DEV_KEY_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'portalis');
}

/**
 * The local development signing key, created on first use and reused afterwards, so that
 * packages built without `--key` are still signed (by a key that says it is for development).
 */
export async function ensureDevKey(dir: string = devKeyDir()): Promise<{ keyFile: string; created: boolean }> {
  const prefix = join(dir, 'dev');
  const keyFile = `${prefix}.key`;
  if (existsSync(keyFile)) return { keyFile, created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await generateKeyPair(prefix);
  return { keyFile, created: true };
}
