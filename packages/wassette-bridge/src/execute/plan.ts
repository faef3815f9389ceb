import { statSync } from 'node:fs';
import { resolveEnv } from '@portalis/wasi';
import type { RunPlan } from '../engines/engine.js';
import { BridgeError } from '../errors.js';
import type { ComponentPermissions } from '../permissions.js';
import { coerceArgs, findFunction } from './signature.js';
import type { ComponentHandle, ExecutionRequest, Isolation, ResourceLimits } from './types.js';

/** The variables a grant lets the guest see, read from `source` (the host env), as the WASI host resolves them. */
function grantedEnv(
  permissions: ComponentPermissions,
  source: Readonly<Record<string, string | undefined>>,
): [string, string][] {
  if (!permissions.allowEnv || permissions.allowedEnvVars.length === 0) return [];
  try {
    return resolveEnv({ allow: permissions.allowedEnvVars, from: source });
  } catch (e) {
    throw new BridgeError('invalid-input', `env grant: ${(e as Error).message}`, { cause: e });
  }
}

function checkGrants(permissions: ComponentPermissions): void {
  if (!permissions.allowFs) return;
  for (const p of permissions.allowedPaths) {
    let ok = false;
    try {
      ok = statSync(p.hostPath).isDirectory();
    } catch {}
    if (!ok)
      throw new BridgeError(
        'invalid-input',
        `the granted directory ${p.hostPath} does not exist or is not a directory`,
        {
          details: { hostPath: p.hostPath },
        },
      );
  }
}

const isLimitNumber = (v: unknown, min: number) => typeof v === 'number' && Number.isFinite(v) && v >= min;

function checkLimits(l: ResourceLimits): void {
  if (!isLimitNumber(l.maxExecutionTimeMs, 1))
    throw new BridgeError('invalid-input', `the time limit must be at least 1 ms, got ${l.maxExecutionTimeMs}`);
  if (!isLimitNumber(l.maxOutputBytes, 0) || !Number.isInteger(l.maxOutputBytes))
    throw new BridgeError('invalid-input', `the output limit must be a whole number of bytes, got ${l.maxOutputBytes}`);
  if (l.fuel !== undefined && (!Number.isSafeInteger(l.fuel) || l.fuel <= 0))
    throw new BridgeError('invalid-input', `fuel must be a positive integer, got ${l.fuel}`);
}

export interface PlanInputs {
  handle: ComponentHandle;
  request: ExecutionRequest;
  permissions: ComponentPermissions;
  limits: ResourceLimits;
  hostEnv: Readonly<Record<string, string | undefined>>;
  stream: boolean;
}

/**
 * Checks a request against the loaded module and the limits, and resolves it into a plan that a
 * worker can run without asking anything of this thread. Every mistake is an `invalid-input`
 * error thrown here, before any guest code runs.
 */
export function makePlan({ handle, request, permissions, limits, hostEnv, stream }: PlanInputs): {
  plan: RunPlan;
  isolation: Isolation;
} {
  checkLimits(limits);
  if (limits.fuel !== undefined && !handle.metered)
    throw new BridgeError(
      'invalid-input',
      `${handle.name} was loaded without a fuel limit, so it is not metered; load it with limits.fuel to set fuel per execution`,
    );
  const isolation = request.isolation ?? 'worker';
  if (isolation !== 'worker' && isolation !== 'in-thread')
    throw new BridgeError('invalid-input', `isolation must be "worker" or "in-thread", got ${String(isolation)}`);
  if (isolation === 'in-thread' && limits.fuel === undefined)
    throw new BridgeError(
      'invalid-input',
      'in-thread execution needs a fuel limit: without a worker, only fuel can stop a guest that never returns',
    );
  checkGrants(permissions);
  if (handle.kind === 'component' && request.kind !== 'command')
    throw new BridgeError(
      'invalid-input',
      `${handle.name} is a component, which runs as a command (wasi:cli/run) in this release; use { kind: "command" }`,
    );
  let plain: RunPlan['request'];
  switch (request.kind) {
    case 'command': {
      if (handle.kind === 'core' && !handle.exports.some((e) => e.name === '_start' && e.kind === 'func'))
        throw new BridgeError('invalid-input', `${handle.name} is not a WASI command: it has no _start export`);
      for (const a of request.args ?? [])
        if (typeof a !== 'string')
          throw new BridgeError('invalid-input', `guest arguments must be strings, got ${String(a)}`);
      plain = { kind: 'command', args: request.args, stdin: request.stdin };
      break;
    }
    case 'function': {
      const sig = findFunction(handle.exports, request.name, handle.name);
      plain = {
        kind: 'function',
        name: request.name,
        args: coerceArgs(sig, request.args ?? [], request.name),
        params: sig.params,
      };
      break;
    }
    case 'json': {
      const sig = findFunction(handle.exports, request.name, handle.name);
      const alloc = findFunction(handle.exports, request.allocExport ?? 'alloc', handle.name);
      const pairs = sig.results.join(' ');
      if (sig.params.join(' ') !== 'i32 i32' || (pairs !== 'i32 i32' && pairs !== 'i64'))
        throw new BridgeError(
          'invalid-input',
          `"${request.name}" does not follow the JSON call protocol: it must take (i32 ptr, i32 len) and return (i32, i32) or one i64`,
        );
      if (alloc.params.join(' ') !== 'i32' || alloc.results.join(' ') !== 'i32')
        throw new BridgeError(
          'invalid-input',
          `"${request.allocExport ?? 'alloc'}" must take an i32 length and return an i32 pointer`,
        );
      if (!handle.exports.some((e) => e.name === 'memory' && e.kind === 'memory'))
        throw new BridgeError('invalid-input', `${handle.name} must export its memory as "memory" for JSON calls`);
      let text: string | undefined;
      try {
        text = JSON.stringify(request.input ?? null);
      } catch (e) {
        throw new BridgeError('invalid-input', `the JSON call input cannot be serialized: ${(e as Error).message}`);
      }
      if (text === undefined)
        throw new BridgeError(
          'invalid-input',
          `the JSON call input cannot be serialized: a ${typeof request.input} is not JSON`,
        );
      plain = { kind: 'json', name: request.name, inputJson: text, allocExport: request.allocExport };
      break;
    }
    default:
      throw new BridgeError(
        'invalid-input',
        `unknown request kind ${JSON.stringify((request as { kind?: unknown }).kind)}; use "command", "function" or "json"`,
      );
  }
  const env = grantedEnv(permissions, hostEnv);
  if (request.kind === 'command' && request.env) {
    for (const [k, v] of Object.entries(request.env)) {
      if (!k || k.includes('=') || k.includes('\0') || typeof v !== 'string' || v.includes('\0'))
        throw new BridgeError('invalid-input', `environment entry ${JSON.stringify(k)} must be NAME=value without NUL`);
      const i = env.findIndex(([name]) => name === k);
      if (i >= 0) env.splice(i, 1);
      env.push([k, v]);
    }
  }
  const det = request.deterministic;
  return {
    isolation,
    plan: {
      name: handle.name,
      request: plain,
      permissions,
      limits,
      env,
      deterministic: det ? (det === true ? {} : det) : false,
      metered: handle.metered,
      imports: handle.imports,
      stream,
    },
  };
}
