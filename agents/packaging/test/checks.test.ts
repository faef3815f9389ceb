import { describe, expect, it } from 'vitest';
import { globToRegExp, PackagingError } from '../src/index.js';
import {
  agent,
  calcManifest,
  check,
  fixtureBytes,
  fixturePath,
  incompressible,
  scratch,
  watToWasm,
  withCustomSection,
} from './helpers.js';

const CHECK_ORDER = ['valid', 'exports', 'imports', 'capabilities', 'size', 'gzip-size', 'convention'];

describe('verify: every check passes on a good module', () => {
  it('reports all seven checks in order, each with a message, and ok', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest());
    expect(report.checks.map((c) => c.name)).toEqual(CHECK_ORDER);
    for (const c of report.checks) {
      expect(c.ok, `${c.name}: ${c.message}`).toBe(true);
      expect(c.message.length).toBeGreaterThan(10);
    }
    expect(report.ok).toBe(true);
    expect(report.module).toMatchObject({ size: fixtureBytes('calc.wasm').length });
  });

  it('takes the artifact as bytes as well as a path', async () => {
    const report = await agent.verify(fixtureBytes('calc.wasm'), calcManifest());
    expect(report.ok).toBe(true);
  });
});

describe('valid', () => {
  it('passes with the kind and size', async () => {
    expect(check(await agent.verify(fixturePath('calc.wasm'), calcManifest()), 'valid').message).toMatch(
      /^valid core module \(\d+ B\)$/,
    );
  });

  it('fails on a truncated module with the validator error and offset', async () => {
    const report = await agent.verify(fixtureBytes('calc.wasm').subarray(0, 40), calcManifest());
    expect(report.ok).toBe(false);
    expect(check(report, 'valid')).toMatchObject({ ok: false });
    expect(check(report, 'valid').message).toMatch(/^not valid WebAssembly: error\[truncated\] at byte \d+: /);
  });

  it('marks the checks that need a decoded module as skipped when the bytes are not wasm', async () => {
    const report = await agent.verify(new TextEncoder().encode('not a wasm file at all'), calcManifest());
    expect(check(report, 'valid').message).toMatch(/error\[bad-magic\]/);
    for (const name of ['exports', 'imports', 'capabilities', 'convention'])
      expect(check(report, name)).toMatchObject({
        ok: false,
        skipped: true,
        message: expect.stringMatching(/not checked/),
      });
    // Sizes are known without decoding.
    expect(check(report, 'size').ok).toBe(true);
  });

  it('refuses a missing artifact or a directory as bad input', async () => {
    await expect(agent.verify('/no/such/file.wasm', calcManifest())).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/no such artifact: \/no\/such\/file\.wasm/),
    });
    await expect(agent.verify(scratch(), calcManifest())).rejects.toThrow(/is a directory; pass the \.wasm file/);
    await expect(agent.verify('/no/such/file.wasm', calcManifest())).rejects.toBeInstanceOf(PackagingError);
  });
});

describe('exports', () => {
  it('passes when requiredExports and the entry are present', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest({ requiredExports: ['sub', 'memory'] }));
    expect(check(report, 'exports')).toEqual({
      name: 'exports',
      ok: true,
      message: 'all 3 required exports present: sub, memory, add',
    });
  });

  it('fails naming each missing export and listing what the module exports', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest({ requiredExports: ['pow', 'mod'] }));
    const c = check(report, 'exports');
    expect(c.ok).toBe(false);
    expect(c.message).toBe('missing required exports pow, mod; the module exports memory, add, sub, mul, div, calls');
    expect(report.ok).toBe(false);
  });

  it('requires the entry for the function and json conventions', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest({ entry: 'power' }));
    expect(check(report, 'exports').message).toMatch(/^missing required export power;/);
  });

  it('names a single required export', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest());
    expect(check(report, 'exports').message).toBe('the required export is present: add');
  });

  it('requires _start for a wasi-command', async () => {
    const report = await agent.verify(
      fixturePath('calc.wasm'),
      calcManifest({ callingConvention: 'wasi-command', entry: '_start' }),
    );
    expect(check(report, 'exports')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/missing required export _start/),
    });
  });

  it('finds a component export with or without its version', async () => {
    const ok = await agent.verify(
      fixturePath('hello-wasi.command.component.wasm'),
      calcManifest({
        callingConvention: 'wasi-command',
        entry: '_start',
        capabilities: ['filesystem', 'clocks', 'stdio'],
        requiredExports: ['wasi:cli/run@0.2.12'],
      }),
    );
    expect(check(ok, 'exports')).toMatchObject({ ok: true, message: expect.stringMatching(/wasi:cli\/run/) });
    const greeter = await agent.verify(
      fixturePath('greeter.component.wasm'),
      calcManifest({ callingConvention: 'component', entry: 'add', requiredExports: ['greet'] }),
    );
    expect(check(greeter, 'exports').message).toMatch(/^missing required export greet; the module exports add/);
  });
});

const socketModule = () =>
  watToWasm(`(module
    (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "env" "log" (func (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")))`);

describe('imports (forbidden)', () => {
  it('passes when no pattern is given', async () => {
    const report = await agent.verify(await socketModule(), calcManifest({ entry: '_start' }));
    expect(check(report, 'imports')).toMatchObject({ ok: true, message: 'no forbidden imports declared (3 imports)' });
  });

  it('passes when no import matches', async () => {
    const report = await agent.verify(
      fixturePath('hello-wasi.wasm'),
      calcManifest({
        callingConvention: 'wasi-command',
        entry: '_start',
        capabilities: ['stdio'],
        forbiddenImports: ['wasi_snapshot_preview1.sock_*', 'env'],
      }),
    );
    expect(check(report, 'imports')).toMatchObject({
      ok: true,
      message: 'no import matches the 2 forbidden patterns (1 import checked)',
    });
  });

  it('fails on a glob match and names the import and the pattern', async () => {
    const report = await agent.verify(
      await socketModule(),
      calcManifest({ entry: '_start', forbiddenImports: ['wasi_snapshot_preview1.sock_*'] }),
    );
    expect(check(report, 'imports')).toMatchObject({
      ok: false,
      message:
        'forbidden import: wasi_snapshot_preview1.sock_accept (matches wasi_snapshot_preview1.sock_*); rebuild without them or change forbiddenImports',
    });
  });

  it('a pattern without a dot forbids a whole module', async () => {
    const report = await agent.verify(
      await socketModule(),
      calcManifest({ entry: '_start', forbiddenImports: ['env'] }),
    );
    expect(check(report, 'imports').message).toMatch(/^forbidden import: env\.log \(matches env\)/);
  });

  it("matches a component's import names", async () => {
    const report = await agent.verify(
      fixturePath('hello-wasi.command.component.wasm'),
      calcManifest({
        callingConvention: 'wasi-command',
        entry: '_start',
        capabilities: ['filesystem', 'clocks', 'stdio'],
        forbiddenImports: ['wasi:filesystem/*'],
      }),
    );
    expect(check(report, 'imports')).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /wasi:filesystem\/types@0\.2\.12 \(matches wasi:filesystem\/\*\), wasi:filesystem\/preopens@0\.2\.12/,
      ),
    });
  });

  it('globs treat * and ? as wildcards and everything else literally', () => {
    expect(globToRegExp('wasi_snapshot_preview1.sock_*').test('wasi_snapshot_preview1.sock_send')).toBe(true);
    expect(globToRegExp('wasi_snapshot_preview1.sock_*').test('wasi_snapshot_preview1xsock_send')).toBe(false);
    expect(globToRegExp('env.f?').test('env.fd')).toBe(true);
    expect(globToRegExp('env.f?').test('env.fdx')).toBe(false);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
  });
});

const helloManifest = (capabilities: string[]) =>
  calcManifest({ name: 'hello', callingConvention: 'wasi-command', entry: '_start', capabilities });

describe('capabilities', () => {
  it('passes when the declared capabilities cover what the imports need', async () => {
    const report = await agent.verify(fixturePath('hello-wasi.wasm'), helloManifest(['stdio']));
    expect(check(report, 'capabilities')).toEqual({
      name: 'capabilities',
      ok: true,
      message: 'declared capabilities cover what the module needs: stdio',
    });
  });

  it('passes with nothing declared for a module without imports', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest());
    expect(check(report, 'capabilities').message).toBe('the module needs no capabilities');
  });

  it('fails when the module needs a capability the manifest does not declare', async () => {
    const report = await agent.verify(fixturePath('guest-fs.wasm'), helloManifest(['stdio']));
    expect(check(report, 'capabilities')).toMatchObject({
      ok: false,
      message:
        'the module needs filesystem, args, exit (from its imports) but the manifest does not declare them; add them to capabilities or remove the imports',
    });
  });

  it('declared but unneeded is ok, with a note', async () => {
    const report = await agent.verify(fixturePath('hello-wasi.wasm'), helloManifest(['stdio', 'sockets', 'env']));
    expect(check(report, 'capabilities')).toMatchObject({
      ok: true,
      message:
        'declared capabilities cover what the module needs: stdio; note: sockets, env are declared but not needed (a narrower declaration grants less)',
    });
  });
});

describe('size and gzip-size budgets', () => {
  it('pass under the default budgets and say so', async () => {
    const report = await agent.verify(fixturePath('calc.wasm'), calcManifest());
    expect(check(report, 'size').message).toMatch(
      /^raw size \d+ B \(\d+ bytes\) within the default budget of 300\.0 KiB$/,
    );
    expect(check(report, 'gzip-size').message).toMatch(/within the default budget of 120\.0 KiB$/);
  });

  it('raw size fails over 300 KiB while a compressible module stays under the gzip budget', async () => {
    const big = withCustomSection(fixtureBytes('calc.wasm'), 'padding', new Uint8Array(310 * 1024));
    const report = await agent.verify(big, calcManifest());
    expect(check(report, 'size')).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^raw size 310\.\d KiB \(\d+ bytes\) is over the default budget of 300\.0 KiB \(307200 bytes\) by \d+ bytes; shrink the module \(try --optimize\) or raise budget\.rawBytes$/,
      ),
    });
    expect(check(report, 'gzip-size').ok).toBe(true);
    expect(report.ok).toBe(false);
  });

  it('gzip size fails over 120 KiB for incompressible content under the raw budget', async () => {
    const noisy = withCustomSection(fixtureBytes('calc.wasm'), 'noise', incompressible(130 * 1024));
    const report = await agent.verify(noisy, calcManifest());
    expect(check(report, 'size').ok).toBe(true);
    expect(check(report, 'gzip-size')).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^gzip size 130\.\d KiB .* over the default budget of 120\.0 KiB .* raise budget\.gzipBytes$/,
      ),
    });
  });

  it('the manifest budget replaces the defaults, in bytes or with a unit', async () => {
    const tight = await agent.verify(
      fixturePath('calc.wasm'),
      calcManifest({ budget: { rawBytes: 100, gzipBytes: 50 } }),
    );
    expect(check(tight, 'size').message).toMatch(/over the manifest budget of 100 B \(100 bytes\)/);
    expect(check(tight, 'gzip-size').message).toMatch(/over the manifest budget of 50 B/);
    const noisy = withCustomSection(fixtureBytes('calc.wasm'), 'noise', incompressible(130 * 1024));
    const roomy = await agent.verify(noisy, {
      ...calcManifest(),
      budget: { gzipBytes: '1M' as unknown as number },
    });
    expect(check(roomy, 'gzip-size')).toMatchObject({
      ok: true,
      message: expect.stringMatching(/within the manifest budget of 1\.00 MiB$/),
    });
  });
});
