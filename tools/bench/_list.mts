import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { HostDirectory, WasiHost } from '@portalis/wasi';
import { watToWasm } from '../build-fixtures.mts';
const wat = readFileSync('fixtures/wasi/file-heavy.wat', 'utf8');
const module = await WebAssembly.compile(await watToWasm(wat));
let dir = '';
function fresh() { dir = mkdtempSync('/tmp/portalis-wasi-bench-'); for (let i = 0; i < 10000; i++) writeFileSync(join(dir, `f${i}`), '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'); }
fresh();
const which = process.argv[2] ?? 'both';
async function nw() { const wasi = new WASI({ version: 'preview1', preopens: { '/data': dir } }); const i = await WebAssembly.instantiate(module, wasi.getImportObject() as any); wasi.initialize(i); return i.exports as any; }
async function ours() { const host = new WasiHost({ preopens: [{ guestPath: '/data', backend: new HostDirectory(dir) }] }); const i = await WebAssembly.instantiate(module, host.imports as any); host.initialize(i); return i.exports as any; }
const res: Record<string, number[]> = { nw: [], ours: [] };
for (let r = 0; r < 30; r++) {
  for (const [k, f] of [['nw', nw], ['ours', ours]] as const) {
    if (which !== 'both' && which !== k) continue;
    if (process.env.FRESH) fresh();
    const g = await f();
    const t0 = performance.now(); const n = g.list_dir(); res[k].push(performance.now() - t0);
    if (n < 10000) throw new Error(String(n));
  }
}
for (const [k, v] of Object.entries(res)) if (v.length) { v.sort((a, b) => a - b); console.log(k, 'median', v[v.length >> 1].toFixed(2), 'min', v[0].toFixed(2)); }
