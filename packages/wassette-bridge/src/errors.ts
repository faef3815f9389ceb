/** What went wrong, as a closed set: callers match on `kind` (and `code` for traps), never on message text. */
export type BridgeErrorKind =
  | 'validation'
  | 'link'
  | 'trap'
  | 'limit-exceeded'
  | 'permission-denied'
  | 'engine-unavailable'
  | 'invalid-input';

/** Every trap and limit code, named after Wasmtime's traps; the one list both engines map into. */
export const TRAP_CODES = [
  'out-of-fuel',
  'timeout',
  'memory-limit',
  'output-limit',
  'unreachable',
  'stack-overflow',
  'memory-out-of-bounds',
  'table-out-of-bounds',
  'indirect-call-to-null',
  'bad-signature',
  'integer-overflow',
  'integer-divide-by-zero',
  'bad-conversion-to-integer',
  'null-reference',
  'exception',
  'cancelled',
  'protocol-error',
  'unknown',
] as const;

/** Trap and limit codes, named after Wasmtime's traps. */
export type TrapCode = (typeof TRAP_CODES)[number];

/** The codes that mean a resource limit was reached (kind `limit-exceeded`) rather than a fault in the guest. */
export const LIMIT_CODES: ReadonlySet<TrapCode> = new Set<TrapCode>([
  'out-of-fuel',
  'timeout',
  'memory-limit',
  'output-limit',
  'stack-overflow',
]);

export interface BridgeErrorOptions {
  code?: TrapCode;
  cause?: unknown;
  /** Extra facts for logs and `--json` output (path, offset, limit, ...). */
  details?: Record<string, unknown>;
}

/** The one error class the bridge throws; `message` says what was wrong and what to do. */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  readonly kind: BridgeErrorKind;
  readonly code: TrapCode | undefined;
  readonly details: Record<string, unknown>;

  constructor(kind: BridgeErrorKind, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = options.code;
    this.details = options.details ?? {};
  }

  toJSON(): { kind: BridgeErrorKind; code?: TrapCode; message: string; details: Record<string, unknown> } {
    return { kind: this.kind, ...(this.code ? { code: this.code } : {}), message: this.message, details: this.details };
  }
}

export function isBridgeError(e: unknown): e is BridgeError {
  return e instanceof BridgeError;
}
