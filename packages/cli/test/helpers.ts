import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { fixturePath } from '../../../tools/fixtures.ts';
import type { CliIo } from '../src/index.js';
import { runCli } from '../src/index.js';

export { fixtureBytes, fixturePath, watToWasm } from '../../../tools/fixtures.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCapture extends CliRun {
  /** Exactly what was written to stdout, for output that is not text. */
  stdoutBytes: Uint8Array;
  /** How many separate writes reached stdout (guest output is passed through as it arrives). */
  stdoutWrites: number;
}

export interface CliOptions {
  /** What the command reads on standard input; empty when not given. */
  stdin?: string | Uint8Array;
}

const bytesOf = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));

/** Runs the CLI in-process with the given stdin and captured output. */
export async function cliWith(options: CliOptions, ...argv: string[]): Promise<CliCapture> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CliIo = {
    stdout: (t) => {
      out.push(bytesOf(t));
    },
    stderr: (t) => {
      err.push(bytesOf(t));
    },
    isTTY: false,
    readStdin: async () => new Uint8Array(bytesOf(options.stdin ?? '')),
  };
  const code = await runCli(argv, io);
  const stdoutBytes = new Uint8Array(Buffer.concat(out));
  return {
    code,
    stdout: Buffer.from(stdoutBytes).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    stdoutBytes,
    stdoutWrites: out.length,
  };
}

/** Runs the CLI in-process with captured output and no stdin. */
export function cli(...argv: string[]): Promise<CliCapture> {
  return cliWith({}, ...argv);
}

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Runs the built `portalis` binary as a user would, with no stdin. */
export function portalis(...argv: string[]): CliRun {
  return portalisWith({}, ...argv);
}

/** Runs the built `portalis` binary with `input` piped to its stdin and extra environment variables. */
export function portalisWith(options: { input?: string; env?: Record<string, string> }, ...argv: string[]): CliRun {
  const r = spawnSync(process.execPath, [bin, ...argv], {
    encoding: 'utf8',
    input: options.input,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built binary, reads the first chunk of its stdout, then closes the pipe as `head` would. */
export function portalisUntilFirstChunk(
  ...argv: string[]
): Promise<{ code: number | null; first: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    let first = '';
    child.stdout.once('data', (c: Buffer) => {
      first = c.toString();
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, first, stderr }));
  });
}

/** A fresh temporary folder, and a function that writes a file into it and returns its path. */
export function scratchDir(prefix: string): {
  dir: string;
  write: (name: string, data: Uint8Array | string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write: (name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
  };
}

/** Exit codes of run-wasm besides the guest's own (documented in --help and the README). */
export const USAGE = 125;
export const TRAP = 134;

/** Bad input: exit 125 with exactly one `error:` line on stderr matching `pattern`, nothing on stdout. */
export function expectUsage(r: CliRun, pattern: RegExp): void {
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(USAGE);
  expect(r.stdout).toBe('');
}

/** A trap or limit: exit 134 with exactly `line` on stderr. */
export function expectTrap(r: CliRun, line: string | RegExp): void {
  if (typeof line === 'string') expect(r.stderr).toBe(`${line}\n`);
  else {
    expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(r.stderr).toMatch(line);
  }
  expect(r.code).toBe(TRAP);
}

/** After a trap or limit, the next run in the same process works. */
export async function expectHealthy(): Promise<void> {
  const r = await cli('run-wasm', fixturePath('hello-wasi.wasm'));
  expect(r).toMatchObject({ code: 0, stdout: 'hello from wasm\n', stderr: '' });
}
