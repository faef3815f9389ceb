/** Where the CLI reads and writes; injected so commands run in-process in tests. */
export interface CliIo {
  /** Text from the CLI itself, or raw bytes a guest wrote (passed through untouched). */
  stdout(data: string | Uint8Array): void;
  stderr(data: string | Uint8Array): void;
  /** Whether stdout is a terminal (colour and symbols) or a pipe/CI log (plain text). */
  isTTY: boolean;
  /**
   * Everything on standard input, for a guest that reads it; empty when stdin is a terminal (a
   * buffered run cannot be interactive, and waiting for end-of-file there would look like a hang).
   */
  readStdin?(): Promise<Uint8Array>;
}

async function readProcessStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY) && !process.env.CI,
  readStdin: readProcessStdin,
};

/** Exit codes shared by every command. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage mistake the user can fix (bad flag value, missing file argument): exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
