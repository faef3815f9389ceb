import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { BridgeError } from '../errors.js';

/**
 * How the bridge logs: `false` or unset, not at all; `true`, `info` and above as JSON lines on
 * stderr; a pino `Logger`, through it (as a child with `component: 'wassette-bridge'`); an object,
 * at `level` (default `info`) to the file `destination` (default stderr).
 */
export type LogOption = boolean | Logger | { level?: Level; destination?: string };

/**
 * Keys that could carry guest inputs. The bridge never logs env values or stdin; this censors them
 * anyway should a request object ever be logged whole, here or by a caller's child logger.
 */
export const REDACTED_KEYS: readonly string[] = ['env', 'stdin', '*.env', '*.stdin', '*.*.env', '*.*.stdin'];
const redact = { paths: [...REDACTED_KEYS], censor: '[redacted]' };

const STDERR_FD = 2;

/**
 * A destination that never throws into the caller: a log that cannot be written (disk full, stderr
 * closed) warns once and is dropped rather than failing a validation or an execution.
 */
function destination(dest: string | number): DestinationStream {
  const stream = pino.destination({ dest, sync: true, mkdir: typeof dest === 'string' });
  let warned = false;
  stream.on('error', (e: Error) => {
    if (warned) return;
    warned = true;
    process.emitWarning(`wassette-bridge: cannot write logs to ${dest === STDERR_FD ? 'stderr' : dest}: ${e.message}`);
  });
  return stream;
}

function fileDestination(path: string): DestinationStream {
  try {
    return destination(path);
  } catch (e) {
    throw new BridgeError(
      'invalid-input',
      `cannot open the log file ${path}: ${(e as Error).message}; set the log destination to a writable file path`,
      { cause: e, details: { path } },
    );
  }
}

function isLogger(option: LogOption): option is Logger {
  return typeof option === 'object' && typeof (option as Partial<Logger>).child === 'function';
}

/**
 * The bridge's logger. Writes go to stderr or a file, never stdout (the CLI prints guest output
 * there), and synchronously, so a line logged before a crash is in the file.
 */
export function createLogger(option: LogOption | undefined): Logger {
  const bindings = { component: 'wassette-bridge' };
  if (option === undefined || option === false) {
    // Silent, and pointed at stderr all the same, so that raising its level later never reaches stdout.
    return pino({ level: 'silent', redact }, destination(STDERR_FD)).child(bindings);
  }
  if (option === true) return pino({ level: 'info', redact }, destination(STDERR_FD)).child(bindings);
  if (isLogger(option)) return option.child(bindings, { redact });
  const dest = option.destination === undefined ? destination(STDERR_FD) : fileDestination(option.destination);
  return pino({ level: option.level ?? 'info', redact }, dest).child(bindings);
}
