import type { ModuleMetadata, ValidationReport } from '@portalis/wassette-bridge';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function label(report: ValidationReport, index: number): string {
  return report.source ?? `<input ${index + 1}>`;
}

/** One block per file: a status line, then each error and warning indented beneath it. */
export function formatValidation(report: ValidationReport, index: number): string {
  const lines: string[] = [];
  const name = label(report, index);
  const m = report.metadata;
  if (report.isValid) {
    const what = m
      ? `${m.kind === 'core' ? 'core module' : 'component'}, ${formatBytes(m.size)}, sha256 ${m.sha256.slice(0, 12)}`
      : '';
    lines.push(`valid    ${name} (${what})`);
  } else {
    lines.push(`INVALID  ${name}`);
  }
  for (const e of report.errors) {
    lines.push(`  error[${e.code}]${e.offset === undefined ? '' : ` at byte ${e.offset}`}: ${e.message}`);
  }
  for (const w of report.warnings) {
    lines.push(`  warning[${w.code}]${w.offset === undefined ? '' : ` at byte ${w.offset}`}: ${w.message}`);
  }
  return `${lines.join('\n')}\n`;
}

function pages(n: number, pageSize: number): string {
  return `${n} page${n === 1 ? '' : 's'} (${formatBytes(n * pageSize)})`;
}

function row(key: string, value: string): string {
  return `  ${key.padEnd(14)}${value}`;
}

/** The readable summary `wasm-info` prints. */
export function formatInfo(report: ValidationReport, name: string): string {
  const m = report.metadata as ModuleMetadata;
  const out: string[] = [name];
  out.push(row('kind', m.kind === 'core' ? 'core module' : 'component'));
  out.push(row('valid', report.isValid ? 'yes' : `no (${report.errors.map((e) => e.code).join(', ')})`));
  out.push(row('size', `${formatBytes(m.size)} (${m.size} bytes)`));
  out.push(row('sha256', m.sha256));
  out.push(row('wasi', m.wasi));
  out.push(row('capabilities', m.capabilities.length ? m.capabilities.join(', ') : 'none'));
  out.push(row('features', m.features.length ? m.features.join(', ') : 'none beyond WebAssembly 1.0'));
  if (m.producers) {
    const p = [...m.producers.language, ...m.producers.processedBy, ...m.producers.sdk];
    if (p.length) out.push(row('producers', p.join(', ')));
  }
  if (m.moduleName) out.push(row('name', m.moduleName));
  if (m.kind === 'core') {
    out.push(
      row(
        'functions',
        `${m.functionCount} defined, ${m.instructionCount} instructions, ${formatBytes(m.codeBytes)} of code`,
      ),
    );
    if (m.start !== undefined) out.push(row('start', `function ${m.start}`));
    for (const mem of m.memories) {
      const max = mem.maxPages === undefined ? 'no maximum' : `max ${pages(mem.maxPages, mem.pageSize)}`;
      const flags = [mem.imported ? 'imported' : '', mem.shared ? 'shared' : '', mem.memory64 ? '64-bit' : ''].filter(
        Boolean,
      );
      out.push(
        row(
          `memory ${mem.index}`,
          `min ${pages(mem.minPages, mem.pageSize)}, ${max}${flags.length ? ` [${flags.join(', ')}]` : ''}`,
        ),
      );
    }
    for (const t of m.tables) {
      out.push(
        row(
          `table ${t.index}`,
          `${t.elementType}, min ${t.min}${t.max === undefined ? ', no maximum' : `, max ${t.max}`}${t.imported ? ' [imported]' : ''}`,
        ),
      );
    }
    out.push(`  imports (${m.imports.length})`);
    const importNames = m.imports.map((i) => `${i.module}.${i.name}`);
    const iw = Math.max(0, ...importNames.map((n) => n.length));
    m.imports.forEach((i, k) => {
      out.push(`    ${(importNames[k] as string).padEnd(iw)}  ${i.type}`);
    });
    out.push(`  exports (${m.exports.length})`);
    const ew = Math.max(0, ...m.exports.map((e) => e.name.length));
    for (const e of m.exports) out.push(`    ${e.name.padEnd(ew)}  ${e.type}`);
  } else if (m.component) {
    const c = m.component;
    out.push(row('contains', `${c.coreModules} core module(s), ${c.nestedComponents} nested component(s)`));
    const cw = Math.max(0, ...[...c.imports, ...c.exports].map((x) => x.name.length));
    out.push(`  imports (${c.imports.length})`);
    for (const i of c.imports) out.push(`    ${i.name.padEnd(cw)}  ${i.kind}`);
    out.push(`  exports (${c.exports.length})`);
    for (const e of c.exports) out.push(`    ${e.name.padEnd(cw)}  ${e.kind}`);
    if (c.exportedFunctions.length) {
      out.push('  exported functions');
      for (const f of c.exportedFunctions) out.push(`    ${f.name}: ${f.signature}`);
    }
    if (c.wit) {
      out.push('  WIT world');
      for (const l of c.wit.trimEnd().split('\n')) out.push(`    ${l}`);
    }
  }
  for (const w of report.warnings) out.push(`  warning[${w.code}]: ${w.message}`);
  return `${out.join('\n')}\n`;
}
