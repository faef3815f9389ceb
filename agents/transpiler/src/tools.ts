import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a finished tool run printed, and how it ended. */
export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ToolRunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes kept per stream; the rest is dropped (compilers can print a lot on a bad file). */
  maxOutputBytes?: number;
}

/** The tool could not be started at all (not found, not executable). */
export class ToolNotFoundError extends Error {
  override readonly name = 'ToolNotFoundError';
  constructor(
    readonly tool: string,
    readonly reason: string,
  ) {
    super(`${tool}: ${reason}`);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Runs `file args` without a shell and collects its output; resolves whatever the exit status. */
export function runTool(file: string, args: readonly string[], options: ToolRunOptions = {}): Promise<ToolRun> {
  const cap = options.maxOutputBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on('data', (c: Buffer) => {
      if (outBytes < cap) out.push(c.subarray(0, cap - outBytes));
      outBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      if (errBytes < cap) err.push(c.subarray(0, cap - errBytes));
      errBytes += c.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new ToolNotFoundError(file, 'not found'));
      else if (e.code === 'EACCES') reject(new ToolNotFoundError(file, 'not executable'));
      else reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(
  `${ESC}(?:\\[[0-9;?]*[ -/]*[@-~]|\\][^${String.fromCharCode(7)}]*${String.fromCharCode(7)}|[@-Z\\\\-_])`,
  'g',
);

/** Removes terminal colour and cursor sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The folder of an installed npm package, searched the way Node would from this package (walking
 * up the `node_modules` folders), without importing it: some packages export no `package.json`.
 */
export function findPackageDir(name: string, from: string = here): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `version` and `bin` of an installed package, or undefined when its package.json is unreadable. */
export function readPackageJson(dir: string): { version?: string; bin?: string | Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: string;
      bin?: string | Record<string, string>;
    };
  } catch {
    return undefined;
  }
}

/** First line of a tool's output, for version strings. */
export function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0]?.trim() ?? '';
}
