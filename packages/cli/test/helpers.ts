import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../src/index.js';
import { runCli } from '../src/index.js';

export { fixtureBytes, fixturePath, watToWasm } from '../../../tools/fixtures.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTTY: false,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Runs the built `portalis` binary as a user would, with no stdin. */
export function portalis(...argv: string[]): CliRun {
  const r = spawnSync(process.execPath, [bin, ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
