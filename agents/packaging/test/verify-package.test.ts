import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PackageVerification } from '../src/index.js';
import { generateKeyPair, verifyPackage } from '../src/index.js';
import { agent, calcManifest, fixturePath, scratch } from './helpers.js';

let dir: string;
let pub: string;
let otherPub: string;
let otherKey: string;

beforeEach(async () => {
  const root = scratch();
  const keys = await generateKeyPair(join(root, 'release'));
  const other = await generateKeyPair(join(root, 'other'));
  pub = keys.pubFile;
  otherPub = other.pubFile;
  otherKey = other.keyFile;
  dir = (await agent.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: keys.keyFile, outDir: root })).dir;
});

const codes = (v: PackageVerification) => v.problems.map((p) => p.code);
const file = (name: string) => join(dir, name);

function editManifest(edit: (m: Record<string, unknown>) => void): void {
  const m = JSON.parse(readFileSync(file('manifest.json'), 'utf8'));
  edit(m);
  writeFileSync(file('manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}

describe('verifyPackage accepts', () => {
  it('an untouched package against the signer key (pinned)', async () => {
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(v).toMatchObject({ ok: true, problems: [], pinned: true, dir });
    expect(v.keyId).toMatch(/^SHA256:/);
    expect(v.manifest).toMatchObject({ name: 'calc', version: '1.0.0' });
  });

  it('an untouched package without a key, saying the key was not pinned', async () => {
    const v = await verifyPackage(dir);
    expect(v).toMatchObject({ ok: true, problems: [], pinned: false });
  });
});

describe('verifyPackage rejects each tampering with its own code', () => {
  it('a flipped byte in module.wasm: wasm-changed', async () => {
    const wasm = readFileSync(file('module.wasm'));
    wasm[wasm.length - 1] = (wasm[wasm.length - 1] as number) ^ 0xff;
    writeFileSync(file('module.wasm'), wasm);
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(v.ok).toBe(false);
    expect(codes(v)).toEqual(['wasm-changed']);
    expect(v.problems[0]?.message).toMatch(
      /^module\.wasm was changed after signing: it has sha256 [0-9a-f]{64} \(\d+ bytes\), the signed manifest records [0-9a-f]{64}/,
    );
  });

  it('an edited manifest.json: manifest-changed, pinned or not', async () => {
    editManifest((m) => {
      m.description = 'now does something else';
    });
    const pinned = await verifyPackage(dir, { pubkeyFile: pub });
    expect(codes(pinned)).toEqual(['manifest-changed']);
    expect(pinned.problems[0]?.message).toBe(
      'the signature does not match manifest.json: the manifest (or manifest.sig) was changed after signing',
    );
    expect(codes(await verifyPackage(dir))).toEqual(['manifest-changed']);
  });

  it('an edited manifest that claims a different capability set is caught the same way', async () => {
    editManifest((m) => {
      m.capabilities = ['filesystem'];
    });
    expect(codes(await verifyPackage(dir, { pubkeyFile: pub }))).toEqual(['manifest-changed']);
  });

  it('a reformatted manifest.json (same fields): manifest-changed, since the bytes are signed', async () => {
    const m = JSON.parse(readFileSync(file('manifest.json'), 'utf8'));
    writeFileSync(file('manifest.json'), JSON.stringify(m));
    expect(codes(await verifyPackage(dir, { pubkeyFile: pub }))).toEqual(['manifest-changed']);
  });

  it("another key pair's public key: wrong-key, naming both key ids", async () => {
    const v = await verifyPackage(dir, { pubkeyFile: otherPub });
    expect(codes(v)).toEqual(['wrong-key']);
    expect(v.problems[0]?.message).toMatch(
      /^the package was signed by key SHA256:\S+, not by the --pubkey key SHA256:\S+; pass the signer's public key/,
    );
  });

  it('a wrong key and an edited manifest: both problems', async () => {
    editManifest((m) => {
      m.version = '9.9.9';
    });
    expect(codes(await verifyPackage(dir, { pubkeyFile: otherPub }))).toEqual(['wrong-key', 'manifest-changed']);
  });

  it('an edited keyId label with the right pinned key: manifest-changed only', async () => {
    editManifest((m) => {
      (m.signer as Record<string, string>).keyId = `SHA256:${'A'.repeat(43)}`;
    });
    expect(codes(await verifyPackage(dir, { pubkeyFile: pub }))).toEqual(['manifest-changed']);
  });

  it('a recorded public key that is not an ed25519 key: malformed-manifest unpinned, manifest-changed pinned', async () => {
    editManifest((m) => {
      (m.signer as Record<string, string>).publicKey = 'AAAA';
    });
    const unpinned = await verifyPackage(dir);
    expect(codes(unpinned)).toEqual(['malformed-manifest']);
    expect(unpinned.problems[0]?.message).toMatch(
      /field signer\.publicKey is not an ed25519 public key; pass --pubkey/,
    );
    expect(codes(await verifyPackage(dir, { pubkeyFile: pub }))).toEqual(['manifest-changed']);
  });

  it('a package re-signed by someone else passes unpinned but not against the real key', async () => {
    const root = scratch();
    const forged = await agent.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: otherKey, outDir: root });
    expect((await verifyPackage(forged.dir)).ok).toBe(true);
    expect(codes(await verifyPackage(forged.dir, { pubkeyFile: pub }))).toEqual(['wrong-key']);
  });

  it('a deleted manifest.sig: missing-signature', async () => {
    rmSync(file('manifest.sig'));
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(codes(v)).toEqual(['missing-signature']);
    expect(v.problems[0]?.message).toMatch(
      /^manifest\.sig is missing from .*: the package is unsigned and cannot be trusted$/,
    );
  });

  it('a deleted module.wasm: missing-file', async () => {
    rmSync(file('module.wasm'));
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(codes(v)).toEqual(['missing-file']);
    expect(v.problems[0]?.message).toMatch(/^module\.wasm is missing from .*; the package is incomplete$/);
  });

  it('a deleted manifest.json: missing-file', async () => {
    rmSync(file('manifest.json'));
    const v = await verifyPackage(dir);
    expect(codes(v)).toEqual(['missing-file']);
    expect(v.problems[0]?.message).toMatch(/^manifest\.json is missing/);
  });

  it('a garbage manifest.json: malformed-manifest', async () => {
    writeFileSync(file('manifest.json'), '\u0000\u0001 this is not json');
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(codes(v)).toEqual(['malformed-manifest']);
    expect(v.problems[0]?.message).toMatch(/^manifest\.json is not valid JSON: /);
  });

  it('a manifest.json missing a field, or of another format version: malformed-manifest naming the field', async () => {
    editManifest((m) => {
      delete m.sha256;
    });
    const v = await verifyPackage(dir, { pubkeyFile: pub });
    expect(codes(v)).toEqual(['malformed-manifest']);
    expect(v.problems[0]?.message).toMatch(/^manifest\.json: field sha256: /);
    editManifest((m) => {
      m.sha256 = '0'.repeat(64);
      m.formatVersion = 2;
    });
    expect((await verifyPackage(dir)).problems[0]?.message).toMatch(
      /field formatVersion: must be 1 \(this Portalis reads package format 1\)/,
    );
  });

  it('a garbled manifest.sig: malformed-signature', async () => {
    writeFileSync(file('manifest.sig'), 'c2hvcnQ=\n');
    expect(codes(await verifyPackage(dir, { pubkeyFile: pub }))).toEqual(['malformed-signature']);
  });

  it('a directory that does not exist, or a file: not-a-package', async () => {
    const v = await verifyPackage(join(dir, 'nope'));
    expect(codes(v)).toEqual(['not-a-package']);
    expect(v.problems[0]?.message).toMatch(/nope does not exist; pass the package directory/);
    expect((await verifyPackage(file('module.wasm'))).problems[0]?.message).toMatch(/is not a directory/);
  });

  it('every file gone: each one reported', async () => {
    for (const f of ['module.wasm', 'manifest.json', 'manifest.sig']) rmSync(file(f));
    expect(codes(await verifyPackage(dir))).toEqual(['missing-file', 'missing-file', 'missing-signature']);
  });
});

describe('verifyPackage input errors', () => {
  it('an unusable --pubkey is a bad-key error, not a package problem', async () => {
    await expect(verifyPackage(dir, { pubkeyFile: join(dir, 'none.pub') })).rejects.toMatchObject({
      code: 'bad-key',
      message: expect.stringMatching(/no such public key file/),
    });
    await expect(verifyPackage(dir, { pubkeyFile: file('manifest.json') })).rejects.toThrow(/is not a PEM public key/);
  });
});
