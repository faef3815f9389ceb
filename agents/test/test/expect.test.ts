import { describe, expect, it } from 'vitest';
import { checkJson, checkReturns, checkText, quote, toWasmNumber } from '../src/expect.js';

describe('expectations', () => {
  it('text: exact, contains and matches', () => {
    expect(checkText('stdout', 'a\n', 'a\n')).toBeNull();
    expect(checkText('stdout', { contains: 'b' }, 'abc')).toBeNull();
    expect(checkText('stdout', { matches: '^a.c$' }, 'abc')).toBeNull();
    expect(checkText('stderr', { matches: '^x' }, 'abc')).toBe('stderr: expected to match /^x/, got "abc"');
  });

  it('quotes long output shortened, with its full length', () => {
    const long = 'x'.repeat(500);
    expect(quote(long)).toBe(`"${'x'.repeat(199)}... (502 characters)`);
    expect(quote(5n)).toBe('5');
  });

  it('JSON: numbers compare by value (0 and -0 alike), arrays by order, objects by keys', () => {
    expect(checkJson({ a: 0, b: [1, { c: null }] }, { b: [1, { c: null }], a: -0 })).toBeNull();
    expect(checkJson([1, 2], [2, 1])).toBe('output[0]: expected 1, got 2 (whole output [2,1])');
    expect(checkJson([1], [1, 2])).toBe('output: expected [1], got [1,2]');
    expect(checkJson('x', null)).toBe('output: expected "x", got null');
  });

  it('returns: numbers, bigints and their string spellings compare equal; NaN equals "NaN"', () => {
    expect(checkReturns([3], [3])).toBeNull();
    expect(checkReturns(['9007199254740993'], [9007199254740993n])).toBeNull();
    expect(checkReturns([5], [5n])).toBeNull();
    expect(checkReturns(['NaN', '-Infinity'], [Number.NaN, -Infinity])).toBeNull();
    expect(checkReturns(0, [-0])).toBeNull();
    expect(checkReturns([], [])).toBeNull();
    expect(checkReturns([1, 2], [1])).toBe('returns: expected [1, 2], got [1]');
    expect(checkReturns([1.5], [1.25])).toBe('returns: expected [1.5], got [1.25]');
  });

  it('spec numbers become what the bridge takes', () => {
    expect(toWasmNumber(3)).toBe(3);
    expect(toWasmNumber('42')).toBe(42);
    expect(toWasmNumber('9007199254740993')).toBe(9007199254740993n);
    expect(toWasmNumber('NaN')).toBeNaN();
    expect(toWasmNumber('-Infinity')).toBe(-Infinity);
  });
});
