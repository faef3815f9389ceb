/**
 * What a snippet may not use, checked before compiling so that the refusal names the line and says
 * why. The compiled module is checked again afterwards (it must import nothing), so a pattern this
 * scanner misses still cannot reach the host.
 */

export type SnippetLang = 'assemblyscript' | 'rust';

export interface ForbiddenRule {
  /** What the pattern gives access to, as the error names it. */
  what: string;
  pattern: RegExp;
}

export interface ForbiddenMatch {
  what: string;
  /** The text that matched. */
  text: string;
  /** 1-based, in the snippet as given. */
  line: number;
  column: number;
}

const IO_HINT =
  'a snippet gets its input as the argument of analyze and gives its answer as the return value; it cannot reach files, the network, the environment, processes or the host';

export const FORBIDDEN_HINT = IO_HINT;

const RUST_RULES: ForbiddenRule[] = [
  { what: 'file system access', pattern: /\bstd\s*::\s*fs\b/ },
  { what: 'network access', pattern: /\bstd\s*::\s*net\b/ },
  { what: 'environment variables', pattern: /\bstd\s*::\s*env\b/ },
  { what: 'processes', pattern: /\bstd\s*::\s*process\b/ },
  { what: 'OS-specific APIs', pattern: /\bstd\s*::\s*os\b/ },
  { what: 'standard input and output', pattern: /\bstd\s*::\s*io\b/ },
  { what: 'threads', pattern: /\bstd\s*::\s*thread\b/ },
  {
    what: 'std modules imported in a group (fs, net, env, process, os, io, thread)',
    pattern: /\bstd\s*::\s*\{[^}]*\b(?:fs|net|env|process|os|io|thread)\b/,
  },
  { what: 'printing (it goes nowhere; return the text instead)', pattern: /\b(?:e?print(?:ln)?|dbg)\s*!/ },
  { what: 'compile-time file inclusion', pattern: /\binclude(?:_str|_bytes)?\s*!/ },
  { what: 'compile-time environment variables', pattern: /\b(?:option_)?env\s*!/ },
  { what: 'foreign functions and crates (extern)', pattern: /\bextern\b/ },
  { what: 'linking attributes', pattern: /#\s*\[\s*(?:link|link_name|link_section|no_mangle|export_name|used)\b/ },
  { what: 'unsafe code', pattern: /\bunsafe(?:_code)?\b/ },
  { what: 'inline assembly', pattern: /\b(?:global_)?asm\s*!/ },
  { what: 'crate-level attributes (#![...])', pattern: /#\s*!\s*\[/ },
  { what: 'modules loaded from other files', pattern: /\bmod\s+[A-Za-z_]\w*\s*;/ },
  { what: 'module path attributes', pattern: /#\s*\[\s*path\b/ },
  { what: 'names reserved for the template', pattern: /\b__portalis\w*/ },
];

const ASSEMBLYSCRIPT_RULES: ForbiddenRule[] = [
  { what: 'host functions (@external)', pattern: /@\s*external\b/ },
  { what: 'ambient declarations (declare), which become host imports', pattern: /\bdeclare\b/ },
  { what: 'imports of other modules', pattern: /\bimport\b/ },
  { what: 're-exports of other modules', pattern: /\bexport\s*(?:\*|\{[^}]*\})\s*from\b/ },
  { what: 'the process object (environment, arguments, exit)', pattern: /\bprocess\s*\./ },
  { what: 'the console (it needs the host; return the text instead)', pattern: /\bconsole\s*\./ },
  { what: 'the clock (Date needs the host)', pattern: /\bDate\b/ },
  { what: 'the random generator (Math.random needs the host)', pattern: /\bMath\s*\.\s*random\b/ },
  { what: 'performance timers', pattern: /\bperformance\s*\./ },
  { what: 'trace output (it needs the host)', pattern: /\btrace\s*\(/ },
  { what: 'names reserved for the template', pattern: /\b__portalis\w*/ },
];

export const FORBIDDEN_RULES: Readonly<Record<SnippetLang, readonly ForbiddenRule[]>> = {
  rust: RUST_RULES,
  assemblyscript: ASSEMBLYSCRIPT_RULES,
};

/**
 * The source with comments and the contents of string and character literals replaced by spaces
 * (line breaks kept), so that positions stay the same and text in a comment or string never matches
 * a rule. Rust block comments nest; raw strings (`r#"..."#`) and AssemblyScript template literals
 * are handled.
 */
export function blankCommentsAndStrings(source: string, lang: SnippetLang): string {
  const out = source.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to && i < out.length; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (lang === 'rust' && source[j] === '/' && source[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (source[j] === '*' && source[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      blank(i, j);
      i = j;
    } else if (
      lang === 'rust' &&
      c === 'r' &&
      /^r#*"/.test(source.slice(i, i + 300)) &&
      !/\w/.test(source[i - 1] ?? '')
    ) {
      const hashes = /^r(#*)"/.exec(source.slice(i))?.[1] ?? '';
      const close = `"${hashes}`;
      const start = i + 2 + hashes.length;
      const end = source.indexOf(close, start);
      const stop = end < 0 ? n : end + close.length;
      blank(start, stop - close.length);
      i = stop;
    } else if (c === '"' || (lang === 'assemblyscript' && (c === "'" || c === '`'))) {
      let j = i + 1;
      while (j < n && source[j] !== c) {
        if (source[j] === '\\') j++;
        else if (source[j] === '\n' && c !== '`' && lang !== 'rust') break;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
    } else if (lang === 'rust' && c === "'") {
      // A char literal ('a', '\n', '\u{1F600}'); anything else is a lifetime and is left alone.
      const m = /^'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^\\'\n])'/.exec(source.slice(i, i + 16));
      if (m) {
        blank(i + 1, i + m[0].length - 1);
        i += m[0].length;
      } else i++;
    } else i++;
  }
  return out.join('');
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** Every forbidden use in the snippet, in source order. */
export function findForbidden(lang: SnippetLang, source: string): ForbiddenMatch[] {
  const code = blankCommentsAndStrings(source, lang);
  const found: ForbiddenMatch[] = [];
  for (const rule of FORBIDDEN_RULES[lang]) {
    const re = new RegExp(rule.pattern.source, 'g');
    for (const m of code.matchAll(re)) {
      found.push({ what: rule.what, text: m[0].replace(/\s+/g, ' ').slice(0, 60), ...position(code, m.index ?? 0) });
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}
