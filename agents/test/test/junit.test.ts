import { describe, expect, it } from 'vitest';
import type { TestSummary } from '../src/index.js';
import { escapeXmlAttribute, escapeXmlText, toJUnitXml } from '../src/index.js';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) =>
    e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (ENTITIES[e] as string),
  );
}

interface Element {
  name: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/**
 * A small XML reader, enough to check that the output is well formed: a declaration, then tags
 * that nest and close in order, attributes in double quotes with no raw `<` or `&`, text with no
 * raw `<`, and entities only from XML's predefined five or numeric references. Throws otherwise.
 */
function parseXml(xml: string): Element {
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('no XML declaration');
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  token.lastIndex = decl[0].length;
  const root: Element = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const m = token.exec(xml);
    if (!m) throw new Error(`not well formed at ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    const [, closing, name, attrs, selfClosing, text] = m;
    const top = stack[stack.length - 1] as Element;
    if (text !== undefined) {
      if (/&(?!(#\d+|amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in text at ${at}`);
      top.text += decode(text);
      continue;
    }
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of (attrs ?? '').matchAll(/([\w-]+)="([^"]*)"/g)) {
      if (/&(?!(#\d+|amp|lt|gt|quot|apos);)/.test(a[2] as string)) throw new Error(`bare & in attribute ${a[1]}`);
      if ((a[1] as string) in attributes) throw new Error(`duplicate attribute ${a[1]}`);
      attributes[a[1] as string] = decode(a[2] as string);
    }
    const el: Element = { name: name as string, attributes, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  const elements = root.children;
  if (elements.length !== 1 || root.text.trim()) throw new Error('expected exactly one root element');
  return elements[0] as Element;
}

const nasty = 'a <b> & "c" \'d\'\nnew line\ttab \u0001 bell \uD800 lone ]]> end';

const calc: TestSummary = {
  artifact: 'calc & co.wasm',
  total: 4,
  passed: 1,
  failed: 2,
  errored: 1,
  durationMs: 1234.5,
  results: [
    { name: 'adds', status: 'passed', durationMs: 12.3456, kind: 'invoke' },
    { name: 'wrong <sum>', status: 'failed', durationMs: 2, kind: 'invoke', reason: 'mismatch', message: nasty },
    {
      name: 'traps',
      status: 'failed',
      durationMs: 3,
      kind: 'export',
      reason: 'trap',
      trap: 'unreachable',
      message: 'trap unreachable: calc.wasm: the guest executed `unreachable`',
    },
    {
      name: 'missing',
      status: 'error',
      durationMs: 0,
      kind: 'invoke',
      reason: 'invalid-test',
      message: 'no such export',
    },
  ],
};
const empty: TestSummary = {
  artifact: 'empty.wasm',
  total: 0,
  passed: 0,
  failed: 0,
  errored: 0,
  durationMs: 5,
  results: [],
};

describe('toJUnitXml', () => {
  it('writes one testsuite per artifact with the counts and times in seconds', () => {
    const doc = parseXml(toJUnitXml([calc, empty]));
    expect(doc.name).toBe('testsuites');
    expect(doc.attributes).toEqual({ name: 'portalis test', tests: '4', failures: '2', errors: '1', time: '1.240' });
    expect(doc.children.map((s) => [s.name, s.attributes.name, s.children.length])).toEqual([
      ['testsuite', 'calc & co.wasm', 4],
      ['testsuite', 'empty.wasm', 0],
    ]);
    expect(doc.children[0]?.attributes).toMatchObject({
      tests: '4',
      failures: '2',
      errors: '1',
      skipped: '0',
      time: '1.234',
    });
    const [adds] = doc.children[0]?.children ?? [];
    expect(adds).toMatchObject({
      name: 'testcase',
      attributes: { name: 'adds', classname: 'calc & co.wasm', time: '0.012' },
      children: [],
    });
  });

  it('gives failures and errors a message and a type (the trap code for a trap)', () => {
    const cases = parseXml(toJUnitXml(calc)).children[0]?.children ?? [];
    const [, mismatch, trap, missing] = cases;
    expect(mismatch?.children[0]).toMatchObject({ name: 'failure', attributes: { type: 'mismatch' } });
    expect(trap?.children[0]).toMatchObject({
      name: 'failure',
      attributes: { type: 'unreachable', message: 'trap unreachable: calc.wasm: the guest executed `unreachable`' },
      text: 'trap unreachable: calc.wasm: the guest executed `unreachable`',
    });
    expect(missing?.children[0]).toMatchObject({
      name: 'error',
      attributes: { type: 'invalid-test', message: 'no such export' },
    });
  });

  it('escapes markup, quotes and line breaks so that names and messages read back unchanged', () => {
    const cases = parseXml(toJUnitXml(calc)).children[0]?.children ?? [];
    const failure = cases[1]?.children[0];
    const readable = nasty.replace('\u0001', '\uFFFD').replace('\uD800', '\uFFFD');
    expect(cases[1]?.attributes.name).toBe('wrong <sum>');
    expect(failure?.attributes.message).toBe(readable);
    expect(failure?.text).toBe(readable);
  });

  it('accepts one summary or none', () => {
    expect(parseXml(toJUnitXml(empty)).children).toHaveLength(1);
    expect(parseXml(toJUnitXml([])).attributes.tests).toBe('0');
  });

  it('the reader above rejects what is not well formed (so the checks mean something)', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => parseXml(`${head}<a><b></a></b>`)).toThrow(/closes/);
    expect(() => parseXml(`${head}<a x="1 & 2"/>`)).toThrow(/bare &/);
    expect(() => parseXml(`${head}<a>x < y</a>`)).toThrow(/not well formed/);
    expect(() => parseXml(`${head}<a x="<"/>`)).toThrow(/not well formed/);
    expect(() => parseXml(`${head}<a>`)).toThrow(/unclosed/);
  });
});

describe('XML escaping', () => {
  it('escapes text and attributes, keeping line breaks in attributes as references', () => {
    expect(escapeXmlText('<a & b>')).toBe('&lt;a &amp; b&gt;');
    expect(escapeXmlAttribute('say "hi"\n\'there\'\t\r')).toBe('say &quot;hi&quot;&#10;&apos;there&apos;&#9;&#13;');
  });

  it('replaces characters XML cannot hold, keeps paired surrogates (emoji) intact', () => {
    expect(escapeXmlText('a\u0000b\u001Fc\uFFFEd')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(escapeXmlText('ok \u{1F600} \uDC00')).toBe('ok \u{1F600} \uFFFD');
  });
});
