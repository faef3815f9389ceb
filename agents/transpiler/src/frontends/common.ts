import { readFile } from 'node:fs/promises';
import { formatDiagnostics, headline } from '../diagnostics.js';
import { TranspileError } from '../errors.js';
import type { CompileRequest, Diagnostic } from '../types.js';

/** The `compile-failed` error every frontend throws: the first error in the message, all of them in details. */
export function compileFailed(
  frontend: string,
  request: Pick<CompileRequest, 'displayName'>,
  diagnostics: Diagnostic[],
): TranspileError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const count = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  return new TranspileError(
    'compile-failed',
    `${request.displayName} did not compile: ${headline(diagnostics)}${count}`,
    {
      frontend,
      diagnostics,
      text: formatDiagnostics(diagnostics),
    },
  );
}

/** The `toolchain-missing` error: what is missing and what to install. */
export function toolchainMissing(frontend: string, reason: string, install: string | undefined): TranspileError {
  return new TranspileError(
    'toolchain-missing',
    `the ${frontend} frontend is not available: ${reason}${install ? `; install: ${install}` : ''}`,
    { frontend, reason, ...(install ? { install } : {}) },
  );
}

/** Reads the compiler's output file; a missing file after a zero exit is a failed compile. */
export async function readOutput(
  frontend: string,
  request: Pick<CompileRequest, 'displayName'>,
  path: string,
): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    throw compileFailed(frontend, request, [
      { severity: 'error', message: `the compiler exited without error but wrote no output file` },
    ]);
  }
}

/** Compiler lines that are neither errors nor warnings (progress, statistics) are not worth keeping. */
export function warningsOnly(diags: Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'warning');
}
