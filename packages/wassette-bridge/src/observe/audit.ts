import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EngineName } from '../engines/select.js';
import { BridgeError, type BridgeErrorKind, LIMIT_CODES, type TrapCode } from '../errors.js';
import type {
  ComponentHandle,
  ExecutionRequest,
  ExecutionResult,
  Isolation,
  ResourceLimits,
} from '../execute/types.js';
import type { ComponentPermissions } from '../permissions.js';

/**
 * How an execution ended: `success`, a command's nonzero `exit`, a wasm `trap`, a resource
 * `limit` reached, or an `error` that is neither (link failure, bad input, protocol, ...).
 */
export type ExecutionOutcome = 'success' | 'exit' | 'trap' | 'limit' | 'error';

/** One execution, as one line of the audit log. Holds no env values, stdin, args or output bytes. */
export interface AuditRecord {
  /** When the execution finished (ISO 8601, UTC). */
  time: string;
  module: { name: string; digest: string };
  engine: EngineName;
  request: {
    kind: ExecutionRequest['kind'];
    /** `_start` for a command, the export's name otherwise. */
    entry: string;
    /** Number of guest arguments (command args after argv[0], or function args); absent for JSON calls. */
    argCount?: number;
  };
  permissions: ComponentPermissions;
  limits: ResourceLimits;
  isolation: Isolation;
  deterministic: boolean;
  outcome: ExecutionOutcome;
  exitCode?: number;
  /** The trap or limit code, when the run ended with one. */
  trap?: TrapCode;
  /** The failure's kind and message, when the run failed (details are left out). */
  error?: { kind: BridgeErrorKind; message: string };
  durations: {
    /** Time in the guest, as the engine measured it. */
    executionMs: number;
    /** Time of the whole `execute` call, including worker dispatch and output capture. */
    totalMs: number;
  };
  /** Present when the module is metered. */
  fuelConsumed?: number;
  memoryUsedBytes: number;
  memoryGrowFailures: number;
  output: {
    /** Captured bytes (at most `maxOutputBytes` together). */
    stdoutBytes: number;
    stderrBytes: number;
    /** Bytes the guest wrote to both streams, kept or not; above the captured sum when output was cut. */
    totalBytes: number;
    /** sha256 (hex) of the captured bytes. */
    stdoutSha256: string;
    stderrSha256: string;
  };
}

export interface AuditInput {
  handle: ComponentHandle;
  request: ExecutionRequest;
  result: ExecutionResult;
  /** The permissions and limits the run actually had (after merging client defaults). */
  permissions: ComponentPermissions;
  limits: ResourceLimits;
  isolation: Isolation;
  deterministic: boolean;
  totalMs: number;
  /** Default: now. */
  time?: Date;
}

/** Classifies a result: limit codes first, then other traps, then a nonzero exit, then any other failure. */
export function executionOutcome(result: ExecutionResult): ExecutionOutcome {
  if (result.success) return 'success';
  const code = result.trap ?? result.error?.code;
  if (code !== undefined) return LIMIT_CODES.has(code) ? 'limit' : 'trap';
  if (result.error?.kind === 'limit-exceeded') return 'limit';
  if (result.error?.kind === 'trap') return 'trap';
  if (result.exitCode !== undefined && result.exitCode !== 0) return 'exit';
  return 'error';
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function requestFacts(request: ExecutionRequest): AuditRecord['request'] {
  switch (request.kind) {
    case 'command':
      return { kind: 'command', entry: '_start', argCount: request.args?.length ?? 0 };
    case 'function':
      return { kind: 'function', entry: request.name, argCount: request.args?.length ?? 0 };
    case 'json':
      return { kind: 'json', entry: request.name };
  }
}

/** Copies permissions into plain, unfrozen data, so that the record owns what it holds. */
function plainPermissions(p: ComponentPermissions): ComponentPermissions {
  return {
    allowFs: p.allowFs,
    allowedPaths: p.allowedPaths.map((g) => ({ hostPath: g.hostPath, guestPath: g.guestPath, readOnly: g.readOnly })),
    allowEnv: p.allowEnv,
    allowedEnvVars: [...p.allowedEnvVars],
    allowNetwork: p.allowNetwork,
    allowedHosts: p.allowedHosts.map((h) => ({ host: h.host, port: h.port })),
  };
}

/** Builds the audit line of one execution. Pure apart from reading the clock when `time` is not given. */
export function auditRecord(input: AuditInput): AuditRecord {
  const { handle, request, result } = input;
  const outcome = executionOutcome(result);
  const trap = result.trap ?? result.error?.code;
  return {
    time: (input.time ?? new Date()).toISOString(),
    module: { name: handle.name, digest: handle.digest },
    engine: handle.engine,
    request: requestFacts(request),
    permissions: plainPermissions(input.permissions),
    limits: {
      maxMemoryBytes: input.limits.maxMemoryBytes,
      maxExecutionTimeMs: input.limits.maxExecutionTimeMs,
      fuel: input.limits.fuel,
      maxOutputBytes: input.limits.maxOutputBytes,
    },
    isolation: input.isolation,
    deterministic: input.deterministic,
    outcome,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(trap === undefined ? {} : { trap }),
    ...(result.error === undefined ? {} : { error: { kind: result.error.kind, message: result.error.message } }),
    durations: { executionMs: result.executionTimeMs, totalMs: input.totalMs },
    ...(result.fuelConsumed === undefined ? {} : { fuelConsumed: result.fuelConsumed }),
    memoryUsedBytes: result.memoryUsedBytes,
    memoryGrowFailures: result.memoryGrowFailures,
    output: {
      stdoutBytes: result.stdout.byteLength,
      stderrBytes: result.stderr.byteLength,
      totalBytes: result.outputBytes,
      stdoutSha256: sha256(result.stdout),
      stderrSha256: sha256(result.stderr),
    },
  };
}

/** One line of JSON; bigint values (none today, but details may grow) become decimal strings. */
export function auditLine(record: AuditRecord): string {
  return `${JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
}

/** Plain words for the errors an operator can fix; anything else keeps Node's message. */
const WRITE_FAILURE_REASONS: Record<string, string> = {
  // mkdir -p says EEXIST when a component of the path exists as a regular file.
  EEXIST: 'a parent of it is not a directory',
  ENOTDIR: 'a parent of it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

function writeFailure(path: string, e: unknown): BridgeError {
  const err = e as NodeJS.ErrnoException;
  const reason = (err.code ? WRITE_FAILURE_REASONS[err.code] : undefined) ?? err.message;
  return new BridgeError(
    'invalid-input',
    `cannot write the audit log ${path}: ${reason}; set auditLog to a writable file path or leave it unset`,
    { cause: e, details: { path, ...(err.code ? { errno: err.code } : {}) } },
  );
}

/**
 * An append-only file of audit lines. The file (and its parent directories) is created on the
 * first write; each record is one synchronous `write(2)` on an `O_APPEND` descriptor, so the line is
 * in the kernel before `write` returns and survives a crash of this process (not a power loss:
 * there is no fsync). Several processes may append to one file: on local Linux file systems a
 * single append write is not interleaved with another in practice, though POSIX only promises
 * that for pipes; on NFS appends from several hosts can overwrite each other.
 */
export class AuditLog {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Appends one line; throws `BridgeError('invalid-input')` when the file cannot be written. */
  write(record: AuditRecord): void {
    const bytes = Buffer.from(auditLine(record), 'utf8');
    try {
      if (this.#fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.#fd = openSync(this.path, 'a', 0o640);
      }
      let written = 0;
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written, bytes.length - written);
    } catch (e) {
      throw writeFailure(this.path, e);
    }
  }

  /** Closes the file; a later `write` opens it again. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}
