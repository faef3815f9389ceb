import { stripAnsi } from './tools.js';
import type { Diagnostic } from './types.js';

/**
 * Compiler output cleaned for a person or an LLM: colours stripped, scratch paths replaced by the
 * names the user knows, summary noise ("2 errors generated.", "aborting due to ...") dropped, and
 * each message parsed into a `Diagnostic` with its file, line and column.
 */

/** Maps the paths a compiler printed to the names the user knows. */
export interface PathNames {
  /** Exact paths (absolute or as passed to the tool) and the name to show for each. */
  names: Record<string, string>;
  /** A scratch folder: any other path inside it is shown relative to it. */
  workDir?: string;
}

const NOISE = [
  /^\d+ (?:warnings?|errors?)(?: and \d+ (?:warnings?|errors?))? generated\.$/,
  /^FAILURE \d+ (?:compile|parse) error\(s\)$/,
  /^error: aborting due to/,
  /^For more information about (?:this|an) error/,
  /^Some errors have detailed explanations/,
  /^warning: \d+ warnings? emitted/,
];

function isNoise(line: string): boolean {
  const t = line.trim();
  return NOISE.some((re) => re.test(t));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every known path in `text` in one pass (longest first, so `/a/b.c` wins over `b.c`, and
 * a replacement is never rewritten again); a name only matches where a path could start.
 */
export function renamePaths(text: string, paths: PathNames): string {
  let out = text;
  const keys = Object.keys(paths.names).sort((a, b) => b.length - a.length);
  if (keys.length) {
    const re = new RegExp(`(?<![\\w.\\-/])(?:${keys.map(escapeRegExp).join('|')})(?![\\w/])`, 'g');
    out = out.replace(re, (k) => paths.names[k] ?? k);
  }
  if (paths.workDir) out = out.replace(new RegExp(`${escapeRegExp(paths.workDir)}/?`, 'g'), '');
  return out;
}

function fileName(raw: string, paths: PathNames): string {
  return renamePaths(raw, paths);
}

function trimExcerpt(lines: string[]): string | undefined {
  const kept = lines.filter((l) => !isNoise(l));
  while (kept.length && kept[kept.length - 1]?.trim() === '') kept.pop();
  while (kept.length && kept[0]?.trim() === '') kept.shift();
  return kept.length ? kept.join('\n') : undefined;
}

const SEVERITIES: Record<string, Diagnostic['severity']> = {
  'fatal error': 'error',
  error: 'error',
  warning: 'warning',
  note: 'note',
};

/** Output in the `file:line:col: error: message` shape (clang, wabt, wasm-ld, most compilers) or tsc's `file(line,col)`. */
export function parseLineDiagnostics(output: string, paths: PathNames): Diagnostic[] {
  const text = renamePaths(stripAnsi(output), paths);
  const diags: Diagnostic[] = [];
  let excerpt: string[] = [];
  const flush = () => {
    const last = diags[diags.length - 1];
    if (last) {
      const e = trimExcerpt(excerpt);
      if (e) last.excerpt = e;
    }
    excerpt = [];
  };
  for (const line of text.split('\n')) {
    // clang and wabt: `file:line:col: error: message`; tsc: `file(line,col): error TS1005: message`.
    const tsc = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/.exec(line);
    if (tsc) {
      flush();
      diags.push({
        severity: tsc[4] === 'warning' ? 'warning' : 'error',
        message: tsc[6] as string,
        code: tsc[5] as string,
        file: fileName(tsc[1] as string, paths),
        line: Number(tsc[2]),
        column: Number(tsc[3]),
      });
      continue;
    }
    const placed = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/.exec(line);
    const unplaced = placed ? null : /^([\w.+-]+(?: \S+)?): (fatal error|error|warning|note): (.*)$/.exec(line);
    if (placed) {
      flush();
      diags.push({
        severity: SEVERITIES[placed[4] as string] ?? 'error',
        message: placed[5] as string,
        file: fileName(placed[1] as string, paths),
        line: Number(placed[2]),
        column: Number(placed[3]),
      });
    } else if (unplaced) {
      flush();
      diags.push({ severity: SEVERITIES[unplaced[2] as string] ?? 'error', message: unplaced[3] as string });
    } else if (!isNoise(line)) {
      excerpt.push(line);
    }
  }
  flush();
  return diags.length ? diags : fallback(text);
}

/** AssemblyScript's `asc` output: `ERROR TS2322: message`, a quoted excerpt, then `└─ in file(line,col)`. */
export function parseAscDiagnostics(output: string, paths: PathNames): Diagnostic[] {
  const text = stripAnsi(output);
  const diags: Diagnostic[] = [];
  let current: { d: Diagnostic; excerpt: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    const e = trimExcerpt(current.excerpt);
    if (e) current.d.excerpt = e;
    diags.push(current.d);
    current = undefined;
  };
  for (const line of text.split('\n')) {
    const head = /^(ERROR|WARNING|INFO|PEDANTIC)(?: ((?:TS|AS)\d+))?: (.*)$/.exec(line);
    if (head) {
      finish();
      const level = head[1] as string;
      current = {
        d: {
          severity: level === 'ERROR' ? 'error' : level === 'INFO' ? 'note' : 'warning',
          message: head[3] as string,
          ...(head[2] ? { code: head[2] } : {}),
        },
        excerpt: [],
      };
      continue;
    }
    if (!current) continue;
    const where = /^\s*└─ in (.+)\((\d+),(\d+)\)\s*$/.exec(line);
    if (where) {
      // The first location is the primary one; later ones (related code) stay in the excerpt.
      if (current.d.file === undefined) {
        current.d.file = fileName(where[1] as string, paths);
        current.d.line = Number(where[2]);
        current.d.column = Number(where[3]);
        continue;
      }
      current.excerpt.push(`in ${fileName(where[1] as string, paths)}:${where[2]}:${where[3]}`);
      continue;
    }
    if (!isNoise(line)) current.excerpt.push(renamePaths(line, paths));
  }
  finish();
  return diags.length ? diags : fallback(renamePaths(text, paths));
}

interface RustcSpan {
  file_name: string;
  line_start: number;
  column_start: number;
  is_primary: boolean;
  label?: string | null;
}

interface RustcMessage {
  $message_type?: string;
  message: string;
  level: string;
  code: { code: string } | null;
  spans: RustcSpan[];
  rendered: string | null;
}

/** rustc's `--error-format=json` output: one JSON diagnostic per line (other lines are ignored). */
export function parseRustcDiagnostics(output: string, paths: PathNames): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const other: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) {
      if (line.trim()) other.push(line);
      continue;
    }
    let m: RustcMessage;
    try {
      m = JSON.parse(line) as RustcMessage;
    } catch {
      other.push(line);
      continue;
    }
    if (m.$message_type !== undefined && m.$message_type !== 'diagnostic') continue;
    if (m.level !== 'error' && m.level !== 'warning' && !m.level.startsWith('error')) continue;
    if (/^aborting due to/.test(m.message)) continue;
    if (/^\d+ warnings? emitted/.test(m.message)) continue;
    const primary = m.spans.find((s) => s.is_primary) ?? m.spans[0];
    const d: Diagnostic = { severity: m.level === 'warning' ? 'warning' : 'error', message: m.message };
    if (m.code?.code) d.code = m.code.code;
    if (primary) {
      d.file = fileName(primary.file_name, paths);
      d.line = primary.line_start;
      d.column = primary.column_start;
      if (primary.label) d.detail = primary.label;
    }
    if (m.rendered) {
      // The first rendered line repeats the message; the rest is the excerpt with its arrows.
      const rest = renamePaths(stripAnsi(m.rendered), paths).split('\n').slice(1);
      const e = trimExcerpt(rest);
      if (e) d.excerpt = e;
    }
    diags.push(d);
  }
  if (diags.length) return diags;
  return fallback(renamePaths(stripAnsi(other.join('\n')), paths));
}

function fallback(text: string): Diagnostic[] {
  const t = text
    .split('\n')
    .filter((l) => !isNoise(l))
    .join('\n')
    .trim();
  return t ? [{ severity: 'error', message: t }] : [];
}

/** One diagnostic as `file:line:col: error[code]: message`, then its excerpt. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line === undefined ? '' : `:${d.line}${d.column ? `:${d.column}` : ''}`}: ` : '';
  const head = `${where}${d.severity}${d.code ? `[${d.code}]` : ''}: ${d.message}`;
  return d.excerpt ? `${head}\n${d.excerpt}` : head;
}

/** Every diagnostic, errors first, as text for a person or an LLM. */
export function formatDiagnostics(diags: readonly Diagnostic[]): string {
  const order = { error: 0, warning: 1, note: 2 } as const;
  return [...diags]
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map(formatDiagnostic)
    .join('\n');
}

/** The first error as one line, for an error message. */
export function headline(diags: readonly Diagnostic[]): string {
  const first = diags.find((d) => d.severity === 'error') ?? diags[0];
  if (!first) return 'the compiler failed without a message';
  return formatDiagnostic({ ...first, excerpt: undefined }).split('\n', 1)[0] as string;
}
