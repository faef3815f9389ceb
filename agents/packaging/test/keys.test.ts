import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyFingerprint, readPrivateKey, readPublicKey } from '../src/index.js';
import { scratch } from './helpers.js';

describe('generateKeyPair', () => {
  it('writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM) that sign and verify', async () => {
    const prefix = join(scratch(), 'release');
    const keys = await generateKeyPair(prefix);
    expect(keys.keyFile).toBe(`${prefix}.key`);
    expect(keys.pubFile).toBe(`${prefix}.pub`);
    const keyPem = readFileSync(keys.keyFile, 'utf8');
    const pubPem = readFileSync(keys.pubFile, 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(pubPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(statSync(keys.keyFile).mode & 0o777).toBe(0o600);
    const priv = createPrivateKey(keyPem);
    const pub = createPublicKey(pubPem);
    expect(priv.asymmetricKeyType).toBe('ed25519');
    const msg = Buffer.from('hello');
    expect(verify(null, msg, pub, sign(null, msg, priv))).toBe(true);
    expect(keys.keyId).toBe(keyFingerprint(pub));
    expect(keys.keyId).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('creates the directory of the prefix', async () => {
    const prefix = join(scratch(), 'keys', 'nested', 'dev');
    const keys = await generateKeyPair(prefix);
    expect(statSync(keys.keyFile).isFile()).toBe(true);
  });

  it('refuses to overwrite either file, and leaves both untouched', async () => {
    const prefix = join(scratch(), 'release');
    const first = await generateKeyPair(prefix);
    const before = readFileSync(first.keyFile, 'utf8');
    await expect(generateKeyPair(prefix)).rejects.toMatchObject({
      code: 'key-exists',
      message: expect.stringMatching(
        /release\.key and .*release\.pub already exist; choose another prefix, or pass --force/,
      ),
    });
    expect(readFileSync(first.keyFile, 'utf8')).toBe(before);

    const onlyPub = join(scratch(), 'other');
    writeFileSync(`${onlyPub}.pub`, 'keep me');
    await expect(generateKeyPair(onlyPub)).rejects.toThrow(/other\.pub already exists;/);
    expect(readFileSync(`${onlyPub}.pub`, 'utf8')).toBe('keep me');
    expect(() => statSync(`${onlyPub}.key`)).toThrow();
  });

  it('force replaces the pair with a new key, and the key file is 0600 again', async () => {
    const prefix = join(scratch(), 'release');
    const first = await generateKeyPair(prefix);
    chmodSync(first.keyFile, 0o644);
    const second = await generateKeyPair(prefix, { force: true });
    expect(second.keyId).not.toBe(first.keyId);
    expect(statSync(second.keyFile).mode & 0o777).toBe(0o600);
  });

  it('refuses an empty prefix or one that names a directory', async () => {
    await expect(generateKeyPair('')).rejects.toMatchObject({ code: 'bad-input' });
    await expect(generateKeyPair(`${scratch()}/`)).rejects.toThrow(/must name a file such as keys\/release/);
  });
});

describe('reading keys', () => {
  it('readPrivateKey: missing file, a public key, not PEM, not ed25519', async () => {
    const dir = scratch();
    await expect(readPrivateKey(join(dir, 'none.key'))).rejects.toMatchObject({
      code: 'bad-key',
      message: expect.stringMatching(/no such private key file: .*none\.key; check --key \(portalis keygen -o PREFIX/),
    });
    const { pubFile, keyFile } = await generateKeyPair(join(dir, 'k'));
    await expect(readPrivateKey(pubFile)).rejects.toThrow(
      /is a public key; --key takes the private key file PREFIX\.key/,
    );
    writeFileSync(join(dir, 'junk.key'), 'not a key');
    await expect(readPrivateKey(join(dir, 'junk.key'))).rejects.toThrow(/is not a PEM private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, 'rsa.key'), rsa);
    await expect(readPrivateKey(join(dir, 'rsa.key'))).rejects.toThrow(
      /is not an ed25519 key \(it is rsa\); packages are signed with ed25519/,
    );
    expect((await readPrivateKey(keyFile)).asymmetricKeyType).toBe('ed25519');
  });

  it('readPublicKey: missing file, not PEM, not ed25519; a private key gives its public half', async () => {
    const dir = scratch();
    await expect(readPublicKey(join(dir, 'none.pub'))).rejects.toThrow(/no such public key file: .*check --pubkey/);
    writeFileSync(join(dir, 'junk.pub'), 'junk');
    await expect(readPublicKey(join(dir, 'junk.pub'))).rejects.toMatchObject({
      code: 'bad-key',
      message: expect.stringMatching(/is not a PEM public key/),
    });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    writeFileSync(join(dir, 'ec.pub'), ec);
    await expect(readPublicKey(join(dir, 'ec.pub'))).rejects.toThrow(/is not an ed25519 key \(it is ec\)/);
    const keys = await generateKeyPair(join(dir, 'k'));
    expect(keyFingerprint(await readPublicKey(keys.keyFile))).toBe(keys.keyId);
  });
});
