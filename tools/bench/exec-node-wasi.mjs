/**
 * Child process for exec.bench.mts: runs a WASI command under node:wasi, one fresh WASI object and
 * instance per run, in batches the parent asks for over IPC. It lives in its own process because
 * node:wasi has been seen to crash the whole process (SIGSEGV) after a few thousand runs.
 *
 *   parent -> { wasm: path }       compile the module once
 *   parent -> { runs: n }          run it n times; reply { samples: [us, ...] }
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

let module;
const devNull = openSync('/dev/null', 'w');

process.on('message', (msg) => {
  if (msg.wasm) {
    module = new WebAssembly.Module(readFileSync(msg.wasm));
    process.send({ ready: true });
    return;
  }
  if (msg.done) {
    closeSync(devNull);
    process.disconnect();
    return;
  }
  const samples = new Array(msg.runs);
  for (let i = 0; i < msg.runs; i++) {
    const t0 = process.hrtime.bigint();
    const wasi = new WASI({ version: 'preview1', returnOnExit: true, stdout: devNull, stderr: devNull });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject());
    const code = wasi.start(instance);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    if (code !== 0) throw new Error(`node:wasi: exit code ${code}`);
  }
  process.send({ samples });
});
