import { afterEach, describe, expect, it } from 'vitest';
import { makeGuest } from './helpers.js';

function readList(g: Awaited<ReturnType<typeof makeGuest>>, kind: 'args' | 'environ'): string[] {
  const sizes = kind === 'args' ? g.call.args_sizes_get : g.call.environ_sizes_get;
  const get = kind === 'args' ? g.call.args_get : g.call.environ_get;
  expect(sizes(0, 4)).toBe(0);
  const count = g.u32(0);
  const bytes = g.u32(4);
  const ptrs = g.alloc(count * 4);
  const buf = g.alloc(bytes);
  expect(get(ptrs, buf)).toBe(0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = g.u32(ptrs + i * 4);
    let end = p;
    while (g.u8(end) !== 0) end++;
    out.push(g.text(p, end - p));
  }
  // The strings are packed NUL-terminated, exactly filling the advertised size.
  expect(out.reduce((n, s) => n + new TextEncoder().encode(s).length + 1, 0)).toBe(bytes);
  return out;
}

describe('args_sizes_get / args_get', () => {
  it('report the caller-given argv with UTF-8 sizes', async () => {
    const g = await makeGuest({ args: ['prog', 'a b', 'héllo', ''] });
    expect(readList(g, 'args')).toEqual(['prog', 'a b', 'héllo', '']);
  });

  it('report nothing by default', async () => {
    const g = await makeGuest();
    expect(readList(g, 'args')).toEqual([]);
  });
});

describe('environ_sizes_get / environ_get', () => {
  afterEach(() => {
    delete process.env.APP_WASI_TEST_ONE;
    delete process.env.OTHER_WASI_TEST;
  });

  it('deny by default: no env option, no variables', async () => {
    process.env.APP_WASI_TEST_ONE = '1';
    const g = await makeGuest();
    expect(readList(g, 'environ')).toEqual([]);
  });

  it('pass an explicit map through as given', async () => {
    const g = await makeGuest({ env: { A: '1', B: 'x=y' } });
    expect(readList(g, 'environ')).toEqual(['A=1', 'B=x=y']);
  });

  it('grant by exact name or glob from a given source', async () => {
    const from = { APP_ONE: '1', APP_TWO: '2', HOME: '/home/u', SECRET: 's', APPX: 'no' };
    const g = await makeGuest({ env: { allow: ['APP_*', 'HOME'], from } });
    expect(readList(g, 'environ')).toEqual(['APP_ONE=1', 'APP_TWO=2', 'HOME=/home/u']);
  });

  it('grant from the host environment when no source is given', async () => {
    process.env.APP_WASI_TEST_ONE = 'yes';
    process.env.OTHER_WASI_TEST = 'no';
    const g = await makeGuest({ env: { allow: ['APP_WASI_TEST_*'] } });
    expect(readList(g, 'environ')).toEqual(['APP_WASI_TEST_ONE=yes']);
  });
});
