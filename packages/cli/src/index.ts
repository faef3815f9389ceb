/**
 * @portalis/cli: the `portalis` command. It parses arguments and does file I/O; every decision
 * is made by @portalis/wassette-bridge, so the CLI never holds logic the library lacks.
 */
export type { CliIo } from './io.js';
export { ExitCode, processIo, UsageError } from './io.js';
export { buildProgram, runCli } from './program.js';
