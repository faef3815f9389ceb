import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostDirectory, WasiHost } from '@portalis/wasi';
import { watToWasm } from '../build-fixtures.mts';
const module = await WebAssembly.compile(await watToWasm(readFileSync('fixtures/wasi/file-heavy.wat', 'utf8')));
const dir = mkdtempSync('/tmp/portalis-stat-');
for (let i = 0; i < 10000; i++) writeFileSync(join(dir, `f${i}`), 'x');
const ts: number[] = [];
for (let r = 0; r < 40; r++) {
  const host = new WasiHost({ preopens: [{ guestPath: '/data', backend: new HostDirectory(dir, { readdirInodes: false }) }] });
  const i = await WebAssembly.instantiate(module, host.imports as any); host.initialize(i);
  const t0 = performance.now(); const n = (i.exports as any).list_dir_libc(); ts.push(performance.now() - t0);
  if (n < 10000) throw new Error(String(n));
}
ts.sort((a, b) => a - b); console.log('median', ts[20].toFixed(2));
