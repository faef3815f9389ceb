import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  type FrontendInfo,
  formatDiagnostic,
  isTranspileError,
  LANGS,
  type Lang,
  type TranspileError,
  type TranspileResult,
  TranspilerAgent,
} from '@portalis/agent-transpiler';
import { loadWassetteConfig, type ValidationReport, WassetteClient } from '@portalis/wassette-bridge';
import type { Command } from 'commander';
import { Option } from 'commander';
import { formatBytes, formatValidation } from '../format.js';
import type { CliIo } from '../io.js';
import { ExitCode, UsageError } from '../io.js';

export interface ConvertFlags {
  output?: string;
  validateWasm?: boolean;
  lang?: Lang;
  listFrontends?: boolean;
  json?: boolean;
  wit?: string;
  world?: string;
}

const HELP_AFTER = `
The language comes from the extension: .wat/.wast (wabt), .c (clang --target=wasm32-wasi),
.rs (a rustc with a WASI standard library), .js/.mjs and TypeScript .ts/.mts (componentize-js, a
component), .as.ts and .ts files that use AssemblyScript types such as i32 (asc). --lang decides
when the extension does not. Every output is validated through the bridge; an invalid one is not
written. See which toolchains are installed here with --list-frontends.

Exit status:
  0   converted (and valid)
  1   the toolchain is missing, the source did not compile, or the output is not valid WebAssembly
  2   bad usage: no SRC, a missing file, an unknown extension or --lang, OUT equal to SRC

Examples:
  portalis convert calc.c --validate-wasm
  portalis convert plugin.ts -o build/plugin.wasm
  portalis convert tool.js --wit tool.wit --world tool
  portalis convert --list-frontends
`;

/** SRC with its extension replaced by `.wasm` (`calc.as.ts` -> `calc.wasm`). */
export function defaultOutFile(src: string): string {
  const name = basename(src);
  const stem = name.toLowerCase().endsWith('.as.ts')
    ? name.slice(0, -'.as.ts'.length)
    : name.slice(0, name.length - extname(name).length);
  return join(dirname(src), `${stem || name}.wasm`);
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

function describeOutput(report: ValidationReport): string {
  const m = report.metadata;
  if (!m) return report.isValid ? 'valid' : 'INVALID';
  const kind = m.kind === 'core' ? 'core module' : 'component';
  const exports = m.kind === 'core' ? m.exports.length : (m.component?.exports.length ?? 0);
  return `${kind}, ${formatBytes(m.size)}, ${exports} export${exports === 1 ? '' : 's'}, ${report.isValid ? 'valid' : 'INVALID'}`;
}

/** `converted calc.c -> calc.wasm (c, core module, 40.4 KiB, 3 exports, valid) in 120 ms`. */
export function summaryLine(r: TranspileResult): string {
  const lang = r.lang === r.frontend ? r.lang : `${r.lang} via ${r.frontend}`;
  return `converted ${r.source} -> ${r.outFile} (${lang}, ${describeOutput(r.report)}) in ${Math.round(r.durationMs)} ms${r.cached ? ' (cached)' : ''}\n`;
}

/** The frontends as a table: name, languages, extensions, status and tool; what to install under a missing one. */
export function frontendTable(infos: FrontendInfo[]): string {
  const rows = infos.map((f) => [
    f.name,
    f.langs.join(', '),
    f.extensions.join(' '),
    f.available ? 'available' : 'missing',
    f.version ? `${f.tool} (${f.version})` : f.tool,
  ]);
  const head = ['FRONTEND', 'LANGUAGES', 'EXTENSIONS', 'STATUS', 'TOOL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const indent = ' '.repeat(widths.slice(0, 4).reduce((a, w) => a + w + 2, 0));
  const out = [line(head)];
  infos.forEach((f, i) => {
    out.push(line(rows[i] as string[]));
    if (!f.available) {
      if (f.reason) out.push(`${indent}why: ${f.reason}`);
      if (f.install) out.push(`${indent}install: ${f.install}`);
    }
  });
  out.push('');
  out.push(
    'A .ts file is AssemblyScript when it uses AssemblyScript types (i32, usize, ...) or builtins, TypeScript otherwise; --lang decides.',
  );
  return `${out.join('\n')}\n`;
}

const EXIT_BY_CODE: Record<TranspileError['code'], number> = {
  'bad-input': ExitCode.usage,
  'unknown-language': ExitCode.usage,
  'toolchain-missing': ExitCode.failed,
  'compile-failed': ExitCode.failed,
  'invalid-output': ExitCode.failed,
  forbidden: ExitCode.failed,
};

function reportFailure(e: TranspileError, flags: ConvertFlags, io: CliIo): number {
  if (flags.json) {
    io.stdout(`${JSON.stringify({ ok: false, error: e.toJSON() }, null, 2)}\n`);
  } else if (e.code === 'invalid-output' && flags.validateWasm && e.details.report) {
    io.stdout(formatValidation(e.details.report as ValidationReport, 0));
  }
  const suffix = e.code === 'invalid-output' ? '; nothing was written' : '';
  io.stderr(`portalis: ${oneLine(e.message)}${suffix}\n`);
  if (e.code === 'compile-failed' && typeof e.details.text === 'string' && e.details.text)
    io.stderr(`${e.details.text}\n`);
  return EXIT_BY_CODE[e.code];
}

async function convertCommand(src: string | undefined, flags: ConvertFlags, io: CliIo): Promise<number> {
  const client = new WassetteClient(loadWassetteConfig());
  try {
    const agent = new TranspilerAgent({ client });
    if (flags.listFrontends) {
      const infos = await agent.frontends();
      io.stdout(flags.json ? `${JSON.stringify(infos, null, 2)}\n` : frontendTable(infos));
      return ExitCode.ok;
    }
    if (src === undefined) throw new UsageError('convert needs a SRC file (or --list-frontends to see the toolchains)');
    const out = flags.output ?? defaultOutFile(src);
    if (resolve(out) === resolve(src))
      throw new UsageError(`the output ${out} would overwrite the source; choose another with -o`);
    let result: TranspileResult;
    try {
      result = await agent.transpile(src, {
        outFile: out,
        ...(flags.lang ? { lang: flags.lang } : {}),
        ...(flags.wit ? { wit: flags.wit } : {}),
        ...(flags.world ? { world: flags.world } : {}),
      });
    } catch (e) {
      if (isTranspileError(e)) return reportFailure(e, flags, io);
      throw e;
    }
    if (flags.json) {
      const { wasm, report, ...rest } = result;
      const json = { ok: true, ...rest, bytes: wasm.length, sha256: report.metadata?.sha256, report };
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
      return ExitCode.ok;
    }
    for (const w of result.warnings) io.stderr(`${formatDiagnostic(w)}\n`);
    io.stdout(summaryLine(result));
    if (flags.validateWasm) io.stdout(formatValidation(result.report, 0));
    return ExitCode.ok;
  } finally {
    await client.close();
  }
}

/** Registers `convert` on the program; `setExit` receives the exit code. */
export function registerConvertCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('convert')
    .description(
      'Compile a source file (WAT, AssemblyScript, C, Rust, JavaScript/TypeScript) to WebAssembly and validate it; exit 0 when converted, 1 when it cannot be (toolchain, compile error, invalid output), 2 on a usage error.',
    )
    .argument('[SRC]', 'the source file')
    .option('-o, --output <OUT>', 'where to write the wasm (default: SRC with .wasm)')
    .option('--validate-wasm', "also print the bridge's validation report (errors, warnings)")
    .addOption(new Option('--lang <LANG>', 'the source language, when the extension does not say').choices(LANGS))
    .option('--list-frontends', 'list the frontends, whether their toolchain is installed here, and what to install')
    .option('--json', 'print the result (or the error) as JSON')
    .option('--wit <PATH>', 'JavaScript/TypeScript: the WIT file or folder (default: NAME.wit or wit/ beside SRC)')
    .option('--world <NAME>', 'JavaScript/TypeScript: the world in that WIT')
    .addHelpText('after', HELP_AFTER)
    .action(async (src: string | undefined, flags: ConvertFlags) => setExit(await convertCommand(src, flags, io)));
}
