/**
 * Why a transpile or a snippet compile did not produce a valid artifact:
 * - `unknown-language`: the extension (or `lang`) names no language a frontend handles.
 * - `toolchain-missing`: the frontend's compiler is not installed; `details.install` says what to install.
 * - `compile-failed`: the compiler refused the source; `details.diagnostics` holds the cleaned messages
 *   and `details.text` their rendering for a person or an LLM.
 * - `invalid-output`: the compiler produced bytes the bridge rejects; `details.report` is the report.
 * - `forbidden`: a snippet uses something snippets may not (file system, network, host imports...).
 * - `bad-input`: the source file cannot be read, or a snippet lacks its entry point.
 */
export type TranspileErrorCode =
  | 'unknown-language'
  | 'toolchain-missing'
  | 'compile-failed'
  | 'invalid-output'
  | 'forbidden'
  | 'bad-input';

export class TranspileError extends Error {
  override readonly name = 'TranspileError';
  readonly code: TranspileErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: TranspileErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }

  toJSON(): { name: string; code: TranspileErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export function isTranspileError(e: unknown): e is TranspileError {
  return e instanceof TranspileError;
}
