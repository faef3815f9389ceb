import type { VerifyReport } from './checks.js';

/**
 * Why the packaging agent refused to go on:
 * - `bad-input`: the artifact or an output path cannot be read or written.
 * - `bad-manifest`: the manifest file is missing, unparsable, or a field is wrong (the message names its path).
 * - `bad-key`: a key file is missing, is not PEM, or is not an ed25519 key of the right kind.
 * - `key-exists`: `generateKeyPair` would overwrite a key file and `force` was not given.
 * - `verify-failed`: `package` ran the checks and at least one failed; `report` holds them all.
 */
export type PackagingErrorCode = 'bad-input' | 'bad-manifest' | 'bad-key' | 'key-exists' | 'verify-failed';

export class PackagingError extends Error {
  override readonly name = 'PackagingError';
  readonly code: PackagingErrorCode;
  readonly details: Record<string, unknown>;
  /** The checks, when `code` is `verify-failed`. */
  readonly report: VerifyReport | undefined;

  constructor(
    code: PackagingErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; report?: VerifyReport; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.report = options.report;
  }
}

export function isPackagingError(e: unknown): e is PackagingError {
  return e instanceof PackagingError;
}
