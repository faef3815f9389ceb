import { errnoName } from './abi.js';

/**
 * Thrown inside the host and the filesystem backends to abandon a call with an errno; the import
 * wrapper turns it into the function's return value, so it never reaches the guest as a trap.
 */
export class WasiErrnoError extends Error {
  constructor(
    readonly errno: number,
    detail?: string,
  ) {
    super(detail ? `${errnoName(errno)}: ${detail}` : errnoName(errno));
    this.name = 'WasiErrnoError';
  }
}

/** Shorthand for `throw new WasiErrnoError(errno)`, usable in expression position. */
export function fail(errno: number, detail?: string): never {
  throw new WasiErrnoError(errno, detail);
}

/**
 * Unwinds the guest's stack when it calls `proc_exit` (or raises a terminating signal). `start()`
 * catches it and reports `exitCode`; anyone calling guest exports directly should do the same.
 */
export class WasiExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly signal?: string,
  ) {
    super(signal ? `guest terminated by signal ${signal}` : `guest exited with code ${exitCode}`);
    this.name = 'WasiExit';
  }
}

/** Which rule a host configuration broke; tests and callers match on this, never on the message. */
export type WasiConfigErrorCode =
  | 'invalid-preopen'
  | 'invalid-env'
  | 'invalid-option'
  | 'missing-memory'
  | 'missing-export'
  | 'already-started';

/** Raised up front for a configuration or embedding mistake (never for something the guest did). */
export class WasiConfigError extends Error {
  constructor(
    readonly code: WasiConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WasiConfigError';
  }
}
