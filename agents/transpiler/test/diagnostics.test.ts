import { describe, expect, it } from 'vitest';
import { formatDiagnostics, parseAscDiagnostics, parseLineDiagnostics, parseRustcDiagnostics } from '../src/index.js';

const ESC = String.fromCharCode(27);

describe('clang-style output', () => {
  const raw = [
    `${ESC}[1m/tmp/portalis-c-x1/../../home/u/calc.c:3:9: ${ESC}[0m${ESC}[0;1;31merror: ${ESC}[0m${ESC}[1mexpected ';' after return statement${ESC}[0m`,
    '  return a + b',
    `${ESC}[0;1;32m        ^${ESC}[0m`,
    '/home/u/calc.c:1:5: warning: unused variable',
    'int x;',
    '1 warning and 1 error generated.',
  ].join('\n');

  it('parses file, line, column and severity, strips colours, renames paths and drops the summary', () => {
    const d = parseLineDiagnostics(raw, {
      names: { '/tmp/portalis-c-x1/../../home/u/calc.c': 'calc.c', '/home/u/calc.c': 'calc.c' },
    });
    expect(d).toEqual([
      {
        severity: 'error',
        message: "expected ';' after return statement",
        file: 'calc.c',
        line: 3,
        column: 9,
        excerpt: '  return a + b\n        ^',
      },
      { severity: 'warning', message: 'unused variable', file: 'calc.c', line: 1, column: 5, excerpt: 'int x;' },
    ]);
  });

  it('renders errors first, one header line per diagnostic', () => {
    const d = parseLineDiagnostics(raw, { names: { '/home/u/calc.c': 'calc.c' } });
    const text = formatDiagnostics([...d].reverse());
    expect(text.split('\n')[0]).toMatch(/^.*calc\.c:3:9: error: expected ';'/);
    expect(text).not.toContain('generated');
  });

  it('takes tool lines without a place (the linker) and tsc lines with (line,col)', () => {
    expect(parseLineDiagnostics('wasm-ld: error: undefined symbol: foo', { names: {} })).toEqual([
      { severity: 'error', message: 'undefined symbol: foo' },
    ]);
    expect(
      parseLineDiagnostics('app.ts(2,17): error TS1109: Expression expected.', { names: { 'app.ts': 'src/app.ts' } }),
    ).toEqual([
      { severity: 'error', message: 'Expression expected.', code: 'TS1109', file: 'src/app.ts', line: 2, column: 17 },
    ]);
  });

  it('paths inside a scratch folder lose the folder; a renamed path is not renamed twice', () => {
    const d = parseLineDiagnostics('/tmp/w1/inc/util.h:2:1: error: bad\n', {
      names: { 'util.h': 'x/util.h' },
      workDir: '/tmp/w1',
    });
    expect(d[0]?.file).toBe('inc/util.h');
    const twice = parseLineDiagnostics('/abs/dir/plugin.ts:1:1: error: e\n', {
      names: { '/abs/dir/plugin.ts': 'dir/plugin.ts', 'plugin.ts': 'dir/plugin.ts' },
    });
    expect(twice[0]?.file).toBe('dir/plugin.ts');
  });

  it('output it cannot parse becomes one error with the cleaned text', () => {
    expect(parseLineDiagnostics(`${ESC}[31msomething broke${ESC}[0m\n`, { names: {} })).toEqual([
      { severity: 'error', message: 'something broke' },
    ]);
  });
});

describe('asc output', () => {
  it('parses code, message, excerpt and the `in file(line,col)` place', () => {
    const raw = [
      "ERROR TS2322: Type '~lib/string/String' is not assignable to type 'i32'.",
      '   :',
      ' 2 │ let n: i32 = "x";',
      '   │              ~~~',
      '   └─ in snippet.ts(2,16)',
      '',
      'WARNING AS235: Only variables, functions and enums become WebAssembly module exports.',
      '   └─ in snippet.ts(5,1)',
      'FAILURE 1 compile error(s)',
    ].join('\n');
    const d = parseAscDiagnostics(raw, { names: {} });
    expect(d[0]).toEqual({
      severity: 'error',
      code: 'TS2322',
      message: "Type '~lib/string/String' is not assignable to type 'i32'.",
      file: 'snippet.ts',
      line: 2,
      column: 16,
      excerpt: '   :\n 2 │ let n: i32 = "x";\n   │              ~~~',
    });
    expect(d[1]).toMatchObject({ severity: 'warning', code: 'AS235', line: 5 });
    expect(formatDiagnostics(d)).not.toContain('FAILURE');
  });
});

describe('rustc JSON output', () => {
  const line = (o: object) => JSON.stringify(o);
  const raw = [
    line({
      $message_type: 'diagnostic',
      message: 'mismatched types',
      code: { code: 'E0308' },
      level: 'error',
      spans: [
        {
          file_name: 'snippet.rs',
          line_start: 2,
          column_start: 18,
          is_primary: true,
          label: 'expected `i32`, found `&str`',
        },
      ],
      rendered:
        'error[E0308]: mismatched types\n --> /tmp/portalis-snippet-rust-a/snippet.rs:2:18\n  |\n2 |     let x: i32 = "a";\n  |                  ^^^\n\n',
    }),
    line({
      message: 'aborting due to previous error',
      code: null,
      level: 'error',
      spans: [],
      rendered: 'error: aborting',
    }),
    line({
      message: 'For more information about this error, try `rustc --explain E0308`.',
      code: null,
      level: 'failure-note',
      spans: [],
      rendered: '',
    }),
  ].join('\n');

  it('keeps real errors with code, place and label, and drops the summary lines', () => {
    const d = parseRustcDiagnostics(raw, { names: {}, workDir: '/tmp/portalis-snippet-rust-a' });
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      severity: 'error',
      code: 'E0308',
      file: 'snippet.rs',
      line: 2,
      column: 18,
      detail: 'expected `i32`, found `&str`',
    });
    expect(d[0]?.excerpt).toContain('--> snippet.rs:2:18');
    expect(d[0]?.excerpt).not.toContain('/tmp/');
  });
});
