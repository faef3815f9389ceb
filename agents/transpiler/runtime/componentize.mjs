/**
 * Child process of the JavaScript frontend: turns one JavaScript module into a component with
 * @bytecodealliance/componentize-js. It runs apart from the caller because componentize-js sets
 * process-wide WASI state and needs the resolution hooks in componentize-hooks.mjs.
 *
 * argv[2] is a JSON job: { componentize, shimDir, source?, wit?, world?, out?, preopens, disableFeatures?, probe? }.
 * Exit 0 on success (with `probe`, after loading componentize-js only); exit 1 with the error on stderr.
 */
import { writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const job = JSON.parse(process.argv[2] ?? '{}');
register(new URL('./componentize-hooks.mjs', import.meta.url), { data: { shimDir: job.shimDir } });

try {
  const fs = await import('@bytecodealliance/preview2-shim/filesystem');
  // preview2-shim 0.26.1 starts with no preopens, so the splicer could not read the WIT files: grant
  // exactly the folders that hold them.
  if (typeof fs._setPreopens === 'function')
    fs._setPreopens(Object.fromEntries((job.preopens ?? []).map((p) => [p, p])));
  const { componentize } = await import(pathToFileURL(job.componentize).href);
  if (job.probe) {
    process.stdout.write(typeof componentize === 'function' ? 'ok\n' : 'no componentize export\n');
    process.exit(typeof componentize === 'function' ? 0 : 1);
  }
  const { component } = await componentize({
    sourcePath: job.source,
    witPath: job.wit,
    ...(job.world ? { worldName: job.world } : {}),
    disableFeatures: job.disableFeatures ?? [],
  });
  await writeFile(job.out, component);
  process.exit(0);
} catch (e) {
  process.stderr.write(`${e?.message ?? String(e)}\n`);
  process.exit(1);
}
