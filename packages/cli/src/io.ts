/** Where the CLI writes; injected so commands run in-process in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (colour and symbols) or a pipe/CI log (plain text). */
  isTTY: boolean;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY) && !process.env.CI,
};

/** Exit codes shared by every command. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage mistake the user can fix (bad flag value, missing file argument): exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
