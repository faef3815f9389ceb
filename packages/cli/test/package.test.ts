import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, fixturePath, portalis, scratchDir } from './helpers.js';

const CALC_MANIFEST = 'name: calc\nversion: 1.0.0\ncallingConvention: function\nentry: add\n';

let root: string;
let write: (name: string, data: Uint8Array | string) => string;
let key: string;
let pub: string;

beforeAll(async () => {
  ({ dir: root, write } = scratchDir('portalis-package-'));
  const r = await cli('keygen', '-o', join(root, 'release'));
  expect(r.code, r.stderr).toBe(0);
  key = join(root, 'release.key');
  pub = join(root, 'release.pub');
  write('calc.yaml', CALC_MANIFEST);
});

/** Packages calc.wasm into a fresh folder and returns the package directory. */
async function packaged(): Promise<string> {
  const out = scratchDir('portalis-pkg-out-').dir;
  const r = await cli(
    'package',
    fixturePath('calc.wasm'),
    '--manifest',
    join(root, 'calc.yaml'),
    '--key',
    key,
    '-o',
    out,
  );
  expect(r.code, r.stderr).toBe(0);
  return join(out, 'calc-1.0.0');
}

describe('portalis keygen', () => {
  it('writes PREFIX.key (0600) and PREFIX.pub and prints the key id', async () => {
    const prefix = join(root, 'k1');
    const r = await cli('keygen', '-o', prefix);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^wrote ${prefix}\\.key \\(private key, mode 0600: keep it secret\\)\\nwrote ${prefix}\\.pub \\(public key: .*\\)\\nkey id SHA256:[A-Za-z0-9+/]{43}\\n$`,
      ),
    );
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${prefix}.pub`, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('refuses to overwrite an existing pair (exit 1), and --force replaces it', async () => {
    const prefix = join(root, 'k2');
    await cli('keygen', '-o', prefix);
    const before = readFileSync(`${prefix}.key`, 'utf8');
    const again = await cli('keygen', '-o', prefix);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      /^portalis: .*k2\.key and .*k2\.pub already exist; choose another prefix, or pass --force/,
    );
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(`${prefix}.key`, 'utf8')).toBe(before);
    const forced = await cli('keygen', '-o', prefix, '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(`${prefix}.key`, 'utf8')).not.toBe(before);
  });

  it('exits 2 without -o', async () => {
    const r = await cli('keygen');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '-o, --out <PREFIX>' not specified/);
  });
});

describe('portalis package ARTIFACT', () => {
  it('prints every check and the package directory, exit 0', async () => {
    const out = join(root, 'out-ok');
    const r = await cli(
      'package',
      fixturePath('calc.wasm'),
      '--manifest',
      join(root, 'calc.yaml'),
      '--key',
      key,
      '-o',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const name of ['valid', 'exports', 'imports', 'capabilities', 'size', 'gzip-size', 'convention'])
      expect(
        lines.some((l) => new RegExp(`^ok    ${name} +\\S`).test(l)),
        name,
      ).toBe(true);
    expect(r.stdout).toContain(`packaged calc 1.0.0 in ${join(out, 'calc-1.0.0')}\n`);
    expect(r.stdout).toMatch(/ {2}module\.wasm {2}\d+ B \(gzip \d+ B\), sha256 [0-9a-f]{64}\n {2}signed by {4}SHA256:/);
    expect(readdirSync(join(out, 'calc-1.0.0')).sort()).toEqual(['manifest.json', 'manifest.sig', 'module.wasm']);
  });

  it('--json prints ok, the directory, the checks and the manifest', async () => {
    const out = join(root, 'out-json');
    const r = await cli(
      'package',
      fixturePath('calc.wasm'),
      '--manifest',
      join(root, 'calc.yaml'),
      '--key',
      key,
      '-o',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      ok: true,
      dir: join(out, 'calc-1.0.0'),
      manifest: { name: 'calc', createdBy: 'portalis' },
    });
    expect(json.checks).toHaveLength(7);
  });

  it('--optimize adds the optimize check with sizes before and after', async () => {
    const out = join(root, 'out-opt');
    const r = await cli(
      'package',
      fixturePath('calc.wasm'),
      '--manifest',
      join(root, 'calc.yaml'),
      '--key',
      key,
      '-o',
      out,
      '--optimize',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}optimize +wasm-opt -Oz: \d+ B -> \d+ B \(-[\d.]+%\)/);
  });

  it('exits 1 when a check fails, with the FAIL line and no package written', async () => {
    const manifest = write('needs-fs.yaml', 'name: fs\nversion: 1.0.0\ncallingConvention: wasi-command\n');
    const out = join(root, 'out-fail');
    const r = await cli('package', fixturePath('guest-fs.wasm'), '--manifest', manifest, '--key', key, '-o', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL {2}capabilities +the module needs filesystem, args, exit, stdio \(from its imports\)/m,
    );
    expect(r.stderr).toBe('portalis: fs 1.0.0 was not packaged: 1 check failed (capabilities)\n');
    expect(() => statSync(out)).toThrow();
    const json = await cli('package', fixturePath('guest-fs.wasm'), '--manifest', manifest, '--key', key, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/was not packaged/) });
  });

  it('exits 2 on bad input, with one portalis: line', async () => {
    const cases: [string[], RegExp][] = [
      [[fixturePath('calc.wasm'), '--key', key], /package needs --manifest FILE/],
      [[fixturePath('calc.wasm'), '--manifest', join(root, 'calc.yaml')], /package needs --key PREFIX\.key/],
      [[fixturePath('calc.wasm')], /package needs --manifest FILE and --key PREFIX\.key/],
      [
        [join(root, 'none.wasm'), '--manifest', join(root, 'calc.yaml'), '--key', key],
        /no such artifact: .*none\.wasm/,
      ],
      [[fixturePath('calc.wasm'), '--manifest', join(root, 'none.yaml'), '--key', key], /no such manifest file/],
      [
        [
          fixturePath('calc.wasm'),
          '--manifest',
          write('bad.yaml', `${CALC_MANIFEST}capabilities: [teleport]\n`),
          '--key',
          key,
        ],
        /bad\.yaml: field capabilities\[0\]: must be one of/,
      ],
      [[fixturePath('calc.wasm'), '--manifest', join(root, 'calc.yaml'), '--key', pub], /is a public key; --key takes/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli('package', ...args, '-o', join(root, 'never'));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^portalis: [^\n]+\n$/);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    }
    expect(() => statSync(join(root, 'never'))).toThrow();
  });
});

describe('portalis package verify DIR', () => {
  it('exit 0 for an intact package, naming the pinned key', async () => {
    const dir = await packaged();
    const r = await cli('package', 'verify', dir, '--pubkey', pub);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^ok  ${dir}: calc 1\\.0\\.0, module\\.wasm \\d+ B sha256 [0-9a-f]{16}…\\n {4}signed by SHA256:\\S+ \\(the --pubkey key\\)\\n$`,
      ),
    );
  });

  it('without --pubkey: exit 0 and says the key was not pinned', async () => {
    const dir = await packaged();
    const r = await cli('package', 'verify', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'note: key not pinned: the signature was checked with the public key recorded in the package',
    );
  });

  it('exit 1 with each problem on its own line', async () => {
    const dir = await packaged();
    const wasm = readFileSync(join(dir, 'module.wasm'));
    wasm[10] = (wasm[10] as number) ^ 1;
    writeFileSync(join(dir, 'module.wasm'), wasm);
    rmSync(join(dir, 'manifest.sig'));
    const r = await cli('package', 'verify', dir, '--pubkey', pub);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`FAILED  ${dir}: 2 problems`);
    expect(lines[1]).toMatch(/^missing-signature: manifest\.sig is missing/);
    expect(lines[2]).toMatch(/^wasm-changed: module\.wasm was changed after signing/);
    expect(lines).toHaveLength(3);
  });

  it('exit 1 for a wrong key, an edited manifest, a missing directory', async () => {
    const dir = await packaged();
    const other = join(root, 'other');
    await cli('keygen', '-o', other);
    const wrong = await cli('package', 'verify', dir, '--pubkey', `${other}.pub`);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^wrong-key: the package was signed by key SHA256:/m);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"calc"', '"calc2"'));
    const edited = await cli('package', 'verify', dir, '--pubkey', pub);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/^manifest-changed: the signature does not match manifest\.json/m);
    const gone = await cli('package', 'verify', join(root, 'no-such-package'));
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/^not-a-package: .*no-such-package does not exist/m);
  });

  it('--json prints the verification, before or after DIR', async () => {
    const dir = await packaged();
    for (const args of [
      ['--json', dir],
      [dir, '--json'],
    ]) {
      const r = await cli('package', 'verify', ...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [], pinned: false, dir });
    }
    rmSync(join(dir, 'module.wasm'));
    const failed = await cli('package', 'verify', dir, '--pubkey', pub, '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, pinned: true, problems: [{ code: 'missing-file' }] });
  });

  it('exit 2 for an unusable --pubkey', async () => {
    const dir = await packaged();
    const r = await cli('package', 'verify', dir, '--pubkey', join(root, 'none.pub'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^portalis: no such public key file: .*none\.pub; check --pubkey/);
  });
});

describe('portalis package: both forms parse', () => {
  it('`package verify DIR` runs the subcommand, `package ARTIFACT` the default action', async () => {
    const dir = await packaged();
    const verify = await cli('package', 'verify', dir);
    expect(verify.stdout).toMatch(/^ok {2}/);
    const artifact = await cli('package', fixturePath('calc.wasm'));
    expect(artifact.stderr).toMatch(/package needs --manifest FILE and --key/);
  });

  it('help lists the verify subcommand and the ARTIFACT form', async () => {
    const r = await cli('package', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: portalis package \[options\] \[command\] <ARTIFACT>/);
    expect(r.stdout).toMatch(/verify \[options\] <DIR>/);
    const sub = await cli('package', 'verify', '--help');
    expect(sub.stdout).toMatch(/Usage: portalis package verify \[options\] <DIR>/);
    expect(sub.stdout).toMatch(/--pubkey <FILE>/);
  });

  it('exits 2 when an argument is missing', async () => {
    const none = await cli('package');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument 'ARTIFACT'/);
    const noDir = await cli('package', 'verify');
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/missing required argument 'DIR'/);
  });
});

describe('the built binary', () => {
  it('keygen, package and package verify end to end', () => {
    const { dir } = scratchDir('portalis-bin-pkg-');
    expect(portalis('keygen', '-o', join(dir, 'k')).code).toBe(0);
    const manifest = join(dir, 'calc.json');
    writeFileSync(
      manifest,
      JSON.stringify({ name: 'calc', version: '0.3.0', callingConvention: 'function', entry: 'mul' }),
    );
    const p = portalis(
      'package',
      fixturePath('calc.wasm'),
      '--manifest',
      manifest,
      '--key',
      join(dir, 'k.key'),
      '-o',
      dir,
    );
    expect(p.code, p.stderr).toBe(0);
    const v = portalis('package', 'verify', join(dir, 'calc-0.3.0'), '--pubkey', join(dir, 'k.pub'));
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ok {2}/);
  });
});
