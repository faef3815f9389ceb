import { BridgeError, WassetteClient } from '@portalis/wassette-bridge';
import { Command, CommanderError, Option } from 'commander';
import { byteCount, collect } from './args.js';
import { registerConvertCommand } from './commands/convert.js';
import { infoCommand } from './commands/info.js';
import { registerPackagingCommands } from './commands/package.js';
import { registerPipelineCommand } from './commands/pipeline.js';
import { RunUsageError, registerRunCommand } from './commands/run.js';
import { registerTestCommand } from './commands/test.js';
import { validateCommand } from './commands/validate.js';
import type { CliIo } from './io.js';
import { ExitCode, UsageError } from './io.js';

const VERSION = '0.1.0';

/** Builds the `portalis` command tree; every action resolves to an exit code instead of exiting. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('portalis')
    .description('Validate, describe and run WebAssembly safely.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const client = () => new WassetteClient();

  program
    .command('validate-wasm')
    .description(
      'Check that each FILE is a valid WebAssembly module or component; exit 0 if all are, 1 if any is not, 2 on a usage error.',
    )
    .argument('<FILE...>', 'wasm files (modules or components)')
    .option('--json', 'print one report per file as a JSON array')
    .addOption(
      new Option('--size-budget <SIZE>', 'warn when a file is larger than SIZE (300K, 2M, ...)').argParser(byteCount),
    )
    .addOption(
      new Option('--max-bytes <SIZE>', 'refuse files larger than SIZE without reading them (default 256M)').argParser(
        byteCount,
      ),
    )
    .addOption(
      new Option(
        '--allow-host-module <NAME>',
        'an import module the host provides (repeatable); no warning for its imports',
      ).argParser(collect),
    )
    .action(async (files: string[], opts) => setExit(await validateCommand(client(), files, opts, io)));

  program
    .command('wasm-info')
    .description(
      'Describe a module or component: kind, size, digest, imports, exports with signatures, memory limits, WASI version, capabilities, features and, for components, the WIT world.',
    )
    .argument('<FILE>', 'a wasm file')
    .option('--json', 'print the full validation report as JSON')
    .action(async (file: string, opts) => setExit(await infoCommand(client(), file, opts, io)));

  registerRunCommand(program, io, setExit);
  registerConvertCommand(program, io, setExit);
  registerTestCommand(program, io, setExit);
  registerPackagingCommands(program, io, setExit);
  registerPipelineCommand(program, io, setExit);

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage mistake.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return ExitCode.ok;
      // run-wasm keeps wasmtime's codes, so that its own usage errors stay clear of guest statuses.
      return e instanceof RunUsageError ? e.exitCode : ExitCode.usage;
    }
    if (e instanceof UsageError) {
      io.stderr(`portalis: ${e.message}\n`);
      return ExitCode.usage;
    }
    if (e instanceof BridgeError) {
      io.stderr(`portalis: ${e.message}\n`);
      return e.kind === 'invalid-input' ? ExitCode.usage : ExitCode.failed;
    }
    io.stderr(
      `portalis: internal error: ${(e as Error)?.message ?? String(e)}\nThis is a bug in Portalis; please report it with the command you ran.\n`,
    );
    return ExitCode.failed;
  }
}
