import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PackagingError } from './errors.js';

export interface KeyPairFiles {
  /** PREFIX.key: the private key, PKCS#8 PEM, unencrypted, mode 0600. */
  keyFile: string;
  /** PREFIX.pub: the public key, SPKI PEM. */
  pubFile: string;
  /** The public key's fingerprint, `SHA256:` + base64 of the SHA-256 of its SPKI DER bytes. */
  keyId: string;
}

/** The SPKI DER bytes of a public key, or of a private key's public half. */
export function publicKeyDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the public key's SPKI DER bytes (the style of ssh-keygen -l). */
export function keyFingerprint(publicKey: KeyObject): string {
  return `SHA256:${createHash('sha256').update(publicKeyDer(publicKey)).digest('base64').replace(/=+$/, '')}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a new ed25519 key pair to PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM),
 * creating PREFIX's directory if needed. Refuses to replace either file unless `force` is set.
 */
export async function generateKeyPair(prefix: string, options: { force?: boolean } = {}): Promise<KeyPairFiles> {
  if (!prefix || prefix.endsWith('/'))
    throw new PackagingError('bad-input', `key prefix "${prefix}" must name a file such as keys/release`);
  const keyFile = resolve(`${prefix}.key`);
  const pubFile = resolve(`${prefix}.pub`);
  if (!options.force) {
    const taken = [];
    for (const f of [keyFile, pubFile]) if (await exists(f)) taken.push(f);
    if (taken.length)
      throw new PackagingError(
        'key-exists',
        `${taken.join(' and ')} already exist${taken.length === 1 ? 's' : ''}; choose another prefix, or pass --force to replace the key pair (packages signed with the old key will no longer verify against the new one)`,
        { details: { files: taken } },
      );
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const flag = options.force ? 'w' : 'wx';
  try {
    await mkdir(dirname(keyFile), { recursive: true });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag });
    // The mode only applies to a new file; a replaced one keeps its old mode unless set again.
    await chmod(keyFile, 0o600);
    await writeFile(pubFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag });
  } catch (e) {
    throw new PackagingError('bad-input', `cannot write the key pair at ${prefix}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return { keyFile, pubFile, keyId: keyFingerprint(publicKey) };
}

async function readKeyText(path: string, what: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PackagingError(
      'bad-key',
      code === 'ENOENT'
        ? `no such ${what} file: ${path}; check ${flag} (portalis keygen -o PREFIX writes PREFIX.key and PREFIX.pub)`
        : `cannot read the ${what} ${path}: ${(e as Error).message}`,
    );
  }
}

/** Reads PREFIX.key: it must be an ed25519 private key in PEM. */
export async function readPrivateKey(path: string): Promise<KeyObject> {
  const text = await readKeyText(path, 'private key', '--key');
  if (/-----BEGIN PUBLIC KEY-----/.test(text))
    throw new PackagingError('bad-key', `${path} is a public key; --key takes the private key file PREFIX.key`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new PackagingError('bad-key', `${path} is not a PEM private key; create one with portalis keygen -o PREFIX`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new PackagingError(
      'bad-key',
      `${path} is not an ed25519 key (it is ${key.asymmetricKeyType}); packages are signed with ed25519 keys (portalis keygen)`,
    );
  return key;
}

/** Reads PREFIX.pub: an ed25519 public key in PEM (a private key file is accepted too; its public half is used). */
export async function readPublicKey(path: string): Promise<KeyObject> {
  const text = await readKeyText(path, 'public key', '--pubkey');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new PackagingError(
      'bad-key',
      `${path} is not a PEM public key; pass the PREFIX.pub that portalis keygen wrote`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new PackagingError(
      'bad-key',
      `${path} is not an ed25519 key (it is ${key.asymmetricKeyType}); packages are signed with ed25519 keys`,
    );
  return key;
}

/** A public key from the base64 SPKI DER that a manifest records; undefined when it is not an ed25519 key. */
export function publicKeyFromBase64(der: string): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}
