import { WassetteClient } from '@portalis/wassette-bridge';

const client = new WassetteClient();
const h = await client.load('fixtures/build/hello-wasi.wasm', { limits: { fuel: 1e9 } });
const j = await client.load('fixtures/build/guest-json.wasm', { limits: { fuel: 1e9 } });
const input = { name: 'portalis', tags: ['a', 'b', 'c'], n: 42, nested: { ok: true, list: [1, 2, 3] } };
for (let r = 0; r < 5; r++) {
  const ts: number[] = [];
  const tj: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    const x = await client.execute(h, { kind: 'command', isolation: 'in-thread' });
    ts.push(performance.now() - t);
    if (!x.success) throw new Error('fail ' + JSON.stringify(x.error));
  }
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    const x = await client.execute(j, { kind: 'json', name: 'echo', input, isolation: 'in-thread' });
    tj.push(performance.now() - t);
    if (!x.success) throw new Error('fail');
  }
  ts.sort((a, b) => a - b);
  tj.sort((a, b) => a - b);
  console.log('command', (ts[1000]! * 1000).toFixed(1), 'us; json', (tj[1000]! * 1000).toFixed(1), 'us');
}
await client.close();
