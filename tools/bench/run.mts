/**
 * `npm run bench [-- NAME...]`: runs each tools/bench/NAME.bench.mts and writes its table into
 * docs/benchmarks.md between `<!-- bench:NAME -->` markers, leaving the other sections as they were.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchSection {
  title: string;
  markdown: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const docPath = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

const HEADER = `# Benchmarks

Written by \`npm run bench\` (tools/bench/). Every table compares the contenders side by side in one
run on the same inputs, so the ratios are the figures to read; absolute times depend on the machine.
Run one section with \`npm run bench -- NAME\`.
`;

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.versions.node} (V8 ${process.versions.v8})`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = (await readdir(here))
    .filter((f) => f.endsWith('.bench.mts'))
    .map((f) => f.replace('.bench.mts', ''))
    .sort();
  const names = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) {
    console.error(`unknown bench ${unknown.join(', ')}; available: ${all.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  let doc = await readFile(docPath, 'utf8').catch(() => HEADER);
  for (const name of names) {
    console.log(`bench ${name} ...`);
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.mts`)).href)) as { run(): Promise<BenchSection> };
    const section = await mod.run();
    console.log(section.markdown);
    const block = `<!-- bench:${name} -->\n## ${section.title}\n\n_Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}._\n\n${section.markdown.trim()}\n<!-- /bench:${name} -->`;
    const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
    doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  }
  await writeFile(docPath, doc.endsWith('\n') ? doc : `${doc}\n`);
  console.log(`wrote ${docPath}`);
}

await main();
