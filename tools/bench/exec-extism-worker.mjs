/**
 * Child process for exec.bench.mts: the Extism JS SDK with `runInWorker: true` (the plugin runs on
 * a worker thread and each call crosses to it and back). Plain Node, not tsx: the SDK starts its
 * worker from a data: URL, which tsx's source-map hook cannot resolve.
 *
 *   parent -> { wasm: base64, input: json } create the plugin; reply { ready: true }
 *   parent -> { calls: n }                  call `echo` n times; reply { samples: [us, ...] }
 *   parent -> { done: true }                close the plugin and exit
 */
import createPlugin from '@extism/extism';

let plugin;
let input = '';

process.on('message', async (msg) => {
  if (msg.wasm) {
    input = msg.input;
    plugin = await createPlugin(
      { wasm: [{ data: Buffer.from(msg.wasm, 'base64') }] },
      { useWasi: false, runInWorker: true },
    );
    process.send({ ready: true });
    return;
  }
  if (msg.done) {
    await plugin?.close();
    process.disconnect();
    return;
  }
  const samples = new Array(msg.calls);
  for (let i = 0; i < msg.calls; i++) {
    const t0 = process.hrtime.bigint();
    const out = await plugin.call('echo', input);
    const got = out?.json();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    if (JSON.stringify(got) !== input) throw new Error('extism (worker): echo differs');
  }
  process.send({ samples });
});
