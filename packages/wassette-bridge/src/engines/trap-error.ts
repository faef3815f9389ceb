import { BridgeError, LIMIT_CODES, type TrapCode } from '../errors.js';

/** What a message may mention besides the code: the limit that was reached, the engine's own words. */
export interface TrapFacts {
  fuel?: number | undefined;
  timeoutMs?: number;
  maxOutputBytes?: number;
  engineMessage?: string | undefined;
}

const GUEST_FAULTS: Partial<Record<TrapCode, string>> = {
  unreachable: 'the guest executed `unreachable`',
  'memory-out-of-bounds': 'the guest accessed memory out of bounds',
  'integer-divide-by-zero': 'the guest divided an integer by zero',
  'integer-overflow': 'integer overflow in the guest',
  'bad-conversion-to-integer': 'the guest converted a float that does not fit an integer',
  'table-out-of-bounds': 'the guest indexed a table out of bounds',
  'indirect-call-to-null': 'the guest called a null table entry',
  'bad-signature': 'the guest made an indirect call with the wrong signature',
  'null-reference': 'the guest dereferenced a null reference',
  exception: 'an exception thrown by the guest was not caught',
};

function describe(code: TrapCode, facts: TrapFacts): string {
  switch (code) {
    case 'out-of-fuel':
      return `out of fuel after ${facts.fuel} units`;
    case 'timeout':
      return `timed out after ${facts.timeoutMs} ms`;
    case 'output-limit':
      return `output limit reached: the guest wrote more than ${facts.maxOutputBytes} bytes of output`;
    case 'stack-overflow':
      return 'stack overflow (the guest recursed too deep)';
    case 'memory-limit':
      return 'the module needs more memory than the cap allows';
    case 'cancelled':
      return 'cancelled by the caller';
    default:
      return GUEST_FAULTS[code] ?? `the guest failed: ${facts.engineMessage ?? code}`;
  }
}

/**
 * The `BridgeError` for a trap or limit code, worded the same on every engine: kind
 * `limit-exceeded` for limits, `trap` for faults of the guest; the engine's own message goes
 * into `details.engineMessage`.
 */
export function trapError(code: TrapCode, name: string, facts: TrapFacts = {}): BridgeError {
  const details: Record<string, unknown> = {};
  if (code === 'out-of-fuel') details.fuel = facts.fuel;
  if (code === 'output-limit') details.limit = facts.maxOutputBytes;
  if (code === 'timeout') details.timeoutMs = facts.timeoutMs;
  if (facts.engineMessage !== undefined) details.engineMessage = facts.engineMessage;
  return new BridgeError(LIMIT_CODES.has(code) ? 'limit-exceeded' : 'trap', `${name}: ${describe(code, facts)}`, {
    code,
    details,
  });
}
