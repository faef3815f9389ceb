import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type {
  ComponentHandle,
  ExecutionRequest,
  ExecutionResult,
  HostGrant,
  PathGrant,
  Policy,
  RequestCommon,
} from '@portalis/wassette-bridge';
import {
  BridgeError,
  ComponentPermissions,
  loadWassetteConfig,
  policyFromYaml,
  WassetteClient,
} from '@portalis/wassette-bridge';
import type { Command } from 'commander';
import { CommanderError, Option } from 'commander';
import { byteCount } from '../args.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';
import type { JsonInput } from './run-flags.js';
import {
  envEntry,
  envPattern,
  fuelUnits,
  hostGrant,
  invokeArgs,
  jsonInput,
  megabytes,
  pathGrant,
  seconds,
} from './run-flags.js';
import { failureExit, failureText, formatReturnValues, RunExit, resultJson } from './run-report.js';

const ENGINES = ['js', 'wasmtime', 'auto'] as const;
const ISOLATIONS = ['worker', 'in-thread'] as const;

export interface RunFlags {
  /** `--args "2 + 2"`: guest arguments as one string, split on whitespace, before any after FILE. */
  args?: string;
  dir?: PathGrant[];
  dirRo?: PathGrant[];
  env?: Record<string, string>;
  envAllow?: string[];
  allowHost?: HostGrant[];
  maxMemory?: number;
  timeout?: number;
  fuel?: number;
  maxOutput?: number;
  deterministic?: boolean;
  invoke?: string;
  jsonCall?: JsonInput;
  policy?: string;
  engine?: (typeof ENGINES)[number];
  auditLog?: string;
  json?: boolean;
  isolation?: (typeof ISOLATIONS)[number];
}

/** A usage error inside `run-wasm` that commander raised (unknown flag, bad value): exit 125, not 2. */
export class RunUsageError extends CommanderError {}

const HELP_AFTER = `
Arguments after FILE (or after --) go to the guest; its argv[0] is FILE's base name.
Nothing is granted unless a flag (or --policy) grants it: no directory, no variable, no socket.
Guest stdin is this process's stdin when that is a pipe or file, and empty on a terminal.

Exit status:
  N     the guest's own exit status (0 when _start returns; 0 after a successful --invoke)
  125   bad usage or input: a bad flag, a missing file, an invalid module, a link error, a bad policy
  134   the guest trapped or hit a limit (--fuel, --timeout, --max-memory, --max-output)
  1     an internal error (a bug in Portalis)

Examples:
  portalis run-wasm tool.wasm --dir ./data::/data --env MODE=fast -- --verbose input.txt
  portalis run-wasm --invoke add calc.wasm 2 3
  portalis run-wasm plugin.wasm --invoke analyze --json-call @request.json
`;

/** Registers `run-wasm` on the program; `setExit` receives the exit code. */
export function registerRunCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run-wasm')
    .description('Run a WASI command, or call one exported function, in a deny-by-default sandbox.')
    .argument('<FILE>', 'a wasm module')
    .argument('[ARGS...]', 'guest arguments, or the numeric arguments of --invoke')
    .optionsGroup('Permissions (nothing is granted otherwise):')
    .addOption(
      new Option(
        '--dir <HOST[::GUEST]>',
        'grant a host directory read-write, at GUEST (default: HOST as written)',
      ).argParser(pathGrant(false)),
    )
    .addOption(new Option('--dir-ro <HOST[::GUEST]>', 'grant a host directory read-only').argParser(pathGrant(true)))
    .addOption(new Option('--env <KEY=VALUE>', 'set a guest environment variable (repeatable)').argParser(envEntry))
    .addOption(
      new Option(
        '--env-allow <PATTERN>',
        'pass host variables matching a name or glob such as APP_* (repeatable)',
      ).argParser(envPattern),
    )
    .addOption(
      new Option(
        '--allow-host <HOST[:PORT]>',
        'allow outgoing connections and HTTP requests to a host, glob (*.example.com) or IP, optionally one port (repeatable; components on the wasmtime engine)',
      ).argParser(hostGrant),
    )
    .option('--policy <FILE>', 'a Wassette policy YAML; the flags above add to what it grants')
    .optionsGroup('Limits (reaching one exits 134):')
    .addOption(
      new Option('--max-memory <MB>', 'linear memory cap in MiB; memory.grow past it fails').argParser(megabytes),
    )
    .addOption(new Option('--timeout <SECONDS>', 'wall-clock limit, fractions allowed').argParser(seconds))
    .addOption(new Option('--fuel <N>', 'instruction budget').argParser(fuelUnits))
    .addOption(new Option('--max-output <BYTES>', 'stdout + stderr cap (300K, 2M accepted)').argParser(byteCount))
    .optionsGroup('Calls:')
    .option('--args <ARGS>', 'guest arguments as one string, split on whitespace ("2 + 2" gives three)')
    .option('--invoke <NAME>', 'call the exported function NAME with ARGS (parsed per its parameter types)')
    .addOption(
      new Option(
        '--json-call <JSON|@FILE>',
        'call --invoke NAME through the JSON plugin protocol (alloc export)',
      ).argParser(jsonInput),
    )
    .optionsGroup('Execution:')
    .option('--deterministic', 'fixed clocks and seeded randomness: the same input gives the same output')
    .addOption(
      new Option(
        '--engine <ENGINE>',
        'the engine: js, wasmtime (the native addon) or auto (wasmtime where it loads); default: portalis.toml, else js',
      ).choices(ENGINES),
    )
    .addOption(
      new Option('--isolation <MODE>', 'a worker thread (default) or in-thread (needs --fuel)').choices(ISOLATIONS),
    )
    .option('--audit-log <FILE>', 'append one JSON line per run to FILE')
    .option('--json', 'print the ExecutionResult as JSON (output as text, plus base64 when not UTF-8)')
    .addHelpText('after', HELP_AFTER)
    .showHelpAfterError(false)
    .exitOverride((e) => {
      throw e.code === 'commander.helpDisplayed' || e.code === 'commander.help'
        ? e
        : new RunUsageError(RunExit.usage, e.code, e.message);
    })
    .action(async (file: string, args: string[], flags: RunFlags) => setExit(await runCommand(file, args, flags, io)));
}

/** Runs `run-wasm`; every failure becomes one `error:` line and an exit code, never a stack trace. */
export async function runCommand(file: string, args: string[], flags: RunFlags, io: CliIo): Promise<number> {
  try {
    const split = flags.args === undefined ? [] : flags.args.split(/\s+/).filter(Boolean);
    return await run(file, [...split, ...args], flags, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n`);
      return RunExit.usage;
    }
    if (e instanceof BridgeError) {
      io.stderr(`error: ${e.message}\n`);
      return failureExit(e);
    }
    throw e;
  }
}

function checkModuleFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new UsageError(`no such file: ${file}`);
  }
  if (!isFile) throw new UsageError(`${file} is not a file`);
}

function readPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the policy ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  return policyFromYaml(text, { baseDir: dirname(resolve(file)), source: file });
}

/** What the guest may touch: the policy's grants plus the flags'. */
function permissionsFrom(policy: Policy | undefined, flags: RunFlags): ComponentPermissions {
  const base = policy?.permissions ?? ComponentPermissions.none();
  const allowedPaths = [...base.allowedPaths, ...(flags.dir ?? []), ...(flags.dirRo ?? [])];
  const allowedEnvVars = [...base.allowedEnvVars, ...(flags.envAllow ?? [])];
  const allowedHosts = [...base.allowedHosts, ...(flags.allowHost ?? [])];
  return {
    ...base,
    allowNetwork: base.allowNetwork || allowedHosts.length > 0,
    allowedHosts,
    allowFs: base.allowFs || allowedPaths.length > 0,
    allowedPaths,
    allowEnv: base.allowEnv || allowedEnvVars.length > 0,
    allowedEnvVars,
  };
}

function exportList(handle: ComponentHandle): string {
  const fns = handle.exports.filter((e) => e.kind === 'func').map((e) => e.name);
  return fns.length ? fns.join(', ') : 'none';
}

function buildRequest(
  handle: ComponentHandle,
  args: string[],
  flags: RunFlags,
  common: RequestCommon,
  stdin: Uint8Array | undefined,
): ExecutionRequest {
  if (flags.jsonCall !== undefined || flags.invoke !== undefined) {
    if (flags.env) throw new UsageError('--env sets a WASI command environment; it cannot be used with --invoke');
    const name = flags.invoke;
    if (name === undefined) throw new UsageError('--json-call needs --invoke NAME, the export to call');
    const exp = handle.exports.find((e) => e.name === name);
    if (exp?.kind !== 'func')
      throw new UsageError(
        `${handle.name} has no exported function '${name}' (exported functions: ${exportList(handle)})`,
      );
    if (flags.jsonCall !== undefined) {
      if (args.length) throw new UsageError('--json-call takes its input from JSON; remove the extra arguments');
      return { ...common, kind: 'json', name, input: flags.jsonCall.value, allocExport: 'alloc' };
    }
    return { ...common, kind: 'function', name, args: invokeArgs(exp, args) };
  }
  // A component runs as a command (wasi:cli/run); the engine says so when it is not one.
  if (handle.kind === 'core' && !handle.exports.some((e) => e.name === '_start' && e.kind === 'func'))
    throw new UsageError(
      `${handle.name} is not a WASI command (no _start export); call a function with --invoke NAME (exported functions: ${exportList(handle)})`,
    );
  return {
    ...common,
    kind: 'command',
    args,
    ...(flags.env ? { env: flags.env } : {}),
    ...(stdin ? { stdin } : {}),
  };
}

/**
 * Runs the request, passing guest output through as it arrives; resolves with the final result.
 * At most `maxOutputBytes` of it is written: the stream can deliver the whole write that crosses
 * the limit, and the CLI promises its user no more than --max-output bytes.
 */
function streamed(
  client: WassetteClient,
  handle: ComponentHandle,
  request: ExecutionRequest,
  maxOutputBytes: number,
  io: CliIo,
) {
  let budget = maxOutputBytes;
  const pass = (chunk: Uint8Array, write: (c: Uint8Array) => void) => {
    const part = chunk.length <= budget ? chunk : chunk.subarray(0, budget);
    budget -= part.length;
    if (part.length) write(part);
  };
  return new Promise<ExecutionResult>((done, fail) => {
    let result: ExecutionResult | undefined;
    client.executeStream(handle, request).subscribe({
      next: (event) => {
        if (event.type === 'stdout') pass(event.chunk, (c) => io.stdout(c));
        else if (event.type === 'stderr') pass(event.chunk, (c) => io.stderr(c));
        else if (event.type === 'exited') result = event.result;
      },
      error: fail,
      complete: () => (result ? done(result) : fail(new Error('the execution stream ended without a result'))),
    });
  });
}

async function run(file: string, args: string[], flags: RunFlags, io: CliIo): Promise<number> {
  checkModuleFile(file);
  const policy = flags.policy === undefined ? undefined : readPolicy(flags.policy);
  const permissions = permissionsFrom(policy, flags);
  const config = loadWassetteConfig({
    overrides: {
      ...(flags.engine ? { engine: flags.engine } : {}),
      ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
    },
  });
  // Sources, lowest first: config, then the policy's memory limit, then flags.
  const limits = {
    ...config.limits,
    ...(policy?.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: policy.maxMemoryBytes }),
    ...(flags.maxMemory === undefined ? {} : { maxMemoryBytes: flags.maxMemory }),
    ...(flags.timeout === undefined ? {} : { maxExecutionTimeMs: flags.timeout }),
    ...(flags.fuel === undefined ? {} : { fuel: flags.fuel }),
    ...(flags.maxOutput === undefined ? {} : { maxOutputBytes: flags.maxOutput }),
  };
  // The bridge refuses this too; saying it here names the flag to add.
  if (flags.isolation === 'in-thread' && limits.fuel === undefined)
    throw new UsageError(
      '--isolation in-thread needs --fuel N: without a worker, only fuel can stop a guest that never returns',
    );
  const client = new WassetteClient({ ...config, limits });
  try {
    const handle = await client.load(resolve(file), {
      name: basename(file),
      limits: { maxMemoryBytes: limits.maxMemoryBytes, ...(limits.fuel === undefined ? {} : { fuel: limits.fuel }) },
    });
    const common: RequestCommon = {
      permissions,
      limits: {
        maxExecutionTimeMs: limits.maxExecutionTimeMs,
        fuel: limits.fuel,
        maxOutputBytes: limits.maxOutputBytes,
      },
      ...(flags.deterministic ? { deterministic: true } : {}),
      ...(flags.isolation ? { isolation: flags.isolation } : {}),
    };
    const readsStdin =
      handle.kind === 'component' || handle.imports.some((i) => i.module.startsWith('wasi') && i.name === 'fd_read');
    const isCommand = flags.invoke === undefined && flags.jsonCall === undefined;
    const stdin = isCommand && readsStdin && io.readStdin ? await io.readStdin() : undefined;
    const request = buildRequest(handle, args, flags, common, stdin);

    const result = flags.json
      ? await client.execute(handle, request)
      : await streamed(client, handle, request, limits.maxOutputBytes, io);
    if (flags.json)
      io.stdout(
        resultJson(result, handle, {
          name: client.engine.name,
          version: client.engine.version,
          fallback: client.engineFallback,
        }),
      );
    if (result.error) {
      io.stderr(`error: ${failureText(result.error, limits)}\n`);
      return failureExit(result.error);
    }
    if (!flags.json && request.kind === 'function') io.stdout(formatReturnValues(result.returnValue));
    if (!flags.json && request.kind === 'json') io.stdout(`${JSON.stringify(result.returnValue)}\n`);
    return result.exitCode ?? 0;
  } catch (e) {
    // A limit reached while loading (a module whose initial memory is over --max-memory, say).
    if (e instanceof BridgeError && e.code !== undefined) {
      io.stderr(`error: ${failureText(e, limits)}\n`);
      return failureExit(e);
    }
    throw e;
  } finally {
    await client.close();
  }
}
