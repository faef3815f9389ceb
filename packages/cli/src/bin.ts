#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './program.js';

// A reader that goes away (`portalis run-wasm spam.wasm | head`) ends the run quietly, with the
// status a process killed by SIGPIPE has, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(128 + 13);
    throw e;
  });
}

process.exitCode = await runCli(process.argv.slice(2), processIo);
