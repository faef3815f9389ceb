import { WassetteClient } from '@portalis/wassette-bridge';
const client = new WassetteClient();
const j = await client.load('fixtures/build/guest-json.wasm', { limits: { fuel: 1e9 } });
const input = { name: 'portalis', tags: ['a', 'b', 'c'], n: 42, nested: { ok: true, list: [1, 2, 3] } };
for (let r = 0; r < 20; r++) {
  const t = performance.now();
  for (let i = 0; i < 5000; i++) await client.execute(j, { kind: 'json', name: 'echo', input, isolation: 'in-thread' });
  if (r % 5 === 4) console.log(((performance.now() - t) / 5000 * 1000).toFixed(1), 'us');
}
await client.close();
