import type { TestCaseResult, TestSummary } from './types.js';

/** Whether XML 1.0 can hold this code point at all (it cannot, not even as a character reference, for most controls). */
function xmlAllows(cp: number): boolean {
  if (cp < 0x20) return cp === 0x09 || cp === 0x0a || cp === 0x0d;
  if (cp >= 0xd800 && cp <= 0xdfff) return false; // a lone surrogate: a paired one arrives as one code point
  return cp !== 0xfffe && cp !== 0xffff;
}

/** Text content: `&`, `<` and `>` escaped; characters XML cannot hold become U+FFFD. */
export function escapeXmlText(text: string): string {
  let clean = '';
  for (const ch of text) clean += xmlAllows(ch.codePointAt(0) ?? 0) ? ch : '\uFFFD';
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value in double quotes: also quotes, and line breaks and tabs kept as references (parsers would fold them into spaces). */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXmlAttribute(String(v))}"`)
    .join('');
}

/** JUnit's failure type: the trap or limit code for a run that stopped, else why the test failed (`mismatch`, `load`, ...). */
function failureType(r: TestCaseResult): string {
  if ((r.reason === 'trap' || r.reason === 'limit') && r.trap) return r.trap;
  return r.reason ?? (r.status === 'error' ? 'error' : 'failure');
}

function testcase(suite: string, r: TestCaseResult): string {
  const head = `    <testcase${attributes({ name: r.name, classname: suite, time: seconds(r.durationMs) })}`;
  if (r.status === 'passed') return `${head}/>`;
  const tag = r.status === 'failed' ? 'failure' : 'error';
  const message = r.message ?? r.status;
  return [
    `${head}>`,
    `      <${tag}${attributes({ message, type: failureType(r) })}>${escapeXmlText(message)}</${tag}>`,
    '    </testcase>',
  ].join('\n');
}

function testsuite(s: TestSummary): string {
  const head = `  <testsuite${attributes({
    name: s.artifact,
    tests: s.total,
    failures: s.failed,
    errors: s.errored,
    skipped: 0,
    time: seconds(s.durationMs),
  })}`;
  if (s.results.length === 0) return `${head}/>`;
  return [`${head}>`, ...s.results.map((r) => testcase(s.artifact, r)), '  </testsuite>'].join('\n');
}

/** JUnit XML: one `<testsuite>` per artifact inside one `<testsuites>`, failures and errors with message and type. */
export function toJUnitXml(summaries: TestSummary | TestSummary[]): string {
  const list = Array.isArray(summaries) ? summaries : [summaries];
  const sum = (pick: (s: TestSummary) => number) => list.reduce((n, s) => n + pick(s), 0);
  const root = `<testsuites${attributes({
    name: 'portalis test',
    tests: sum((s) => s.total),
    failures: sum((s) => s.failed),
    errors: sum((s) => s.errored),
    time: seconds(sum((s) => s.durationMs)),
  })}`;
  const body = list.length === 0 ? [`${root}/>`] : [`${root}>`, ...list.map(testsuite), '</testsuites>'];
  return ['<?xml version="1.0" encoding="UTF-8"?>', ...body, ''].join('\n');
}
