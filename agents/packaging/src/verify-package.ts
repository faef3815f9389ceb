import type { KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PACKAGE_FILES } from './agent.js';
import { PackagingError } from './errors.js';
import { keyFingerprint, publicKeyFromBase64, readPublicKey } from './keys.js';
import type { PackagedManifest } from './manifest.js';
import { parsePackagedManifest } from './manifest.js';
import { parseSignature, sha256Hex, signatureHolds } from './signature.js';

/**
 * Why a package was rejected; each tampering case has its own code:
 * - `not-a-package`: DIR does not exist or is not a directory.
 * - `missing-file`: module.wasm or manifest.json is missing.
 * - `missing-signature`: manifest.sig is missing.
 * - `malformed-manifest`: manifest.json is not JSON, or a field is missing or wrong.
 * - `malformed-signature`: manifest.sig is not a base64 ed25519 signature (64 bytes).
 * - `wasm-changed`: module.wasm's digest or size differs from the manifest's.
 * - `manifest-changed`: the signature does not hold over manifest.json (edited, or manifest.sig replaced).
 * - `wrong-key`: the signature does not hold under the pinned key, and the manifest's signer key is another
 *   one (with `manifest-changed` too unless the signature holds under that recorded key).
 */
export type PackageProblemCode =
  | 'not-a-package'
  | 'missing-file'
  | 'missing-signature'
  | 'malformed-manifest'
  | 'malformed-signature'
  | 'wasm-changed'
  | 'manifest-changed'
  | 'wrong-key';

export interface PackageProblem {
  code: PackageProblemCode;
  message: string;
}

export interface PackageVerification {
  ok: boolean;
  problems: PackageProblem[];
  /** The package directory (absolute). */
  dir: string;
  /** True when a public key was given; false when the key recorded in the package was used. */
  pinned: boolean;
  /** The signer's key id as the manifest records it, when it could be read. */
  keyId?: string;
  /** The manifest, when it could be parsed (trust it only when `ok`). */
  manifest?: PackagedManifest;
}

type Read = { bytes: Buffer } | { missing: true };

async function readPart(dir: string, name: string): Promise<Read> {
  try {
    return { bytes: await readFile(join(dir, name)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { missing: true };
    throw new PackagingError('bad-input', `cannot read ${join(dir, name)}: ${(e as Error).message}`);
  }
}

/**
 * Checks a package directory: every file present, the manifest well formed, module.wasm's digest
 * as recorded, and the ed25519 signature over the manifest and digest. With `pubkeyFile` the
 * signature must come from that key; without it the key recorded in the manifest is used, which
 * proves integrity but not who signed (`pinned: false`). Throws `PackagingError` (`bad-key`) only
 * when `pubkeyFile` itself is unusable; every problem with the package is in `problems`.
 */
export async function verifyPackage(dir: string, options: { pubkeyFile?: string } = {}): Promise<PackageVerification> {
  const pinnedKey = options.pubkeyFile ? await readPublicKey(options.pubkeyFile) : undefined;
  const abs = resolve(dir);
  const problems: PackageProblem[] = [];
  const done = (extra: Partial<PackageVerification> = {}): PackageVerification => ({
    ok: problems.length === 0,
    problems,
    dir: abs,
    pinned: pinnedKey !== undefined,
    ...extra,
  });

  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) {
    problems.push({
      code: 'not-a-package',
      message: `${dir} ${info ? 'is not a directory' : 'does not exist'}; pass the package directory that portalis package wrote (NAME-VERSION)`,
    });
    return done();
  }

  const [wasm, manifestFile, sigFile] = await Promise.all([
    readPart(abs, PACKAGE_FILES.module),
    readPart(abs, PACKAGE_FILES.manifest),
    readPart(abs, PACKAGE_FILES.signature),
  ]);
  for (const [part, name] of [
    [wasm, PACKAGE_FILES.module],
    [manifestFile, PACKAGE_FILES.manifest],
  ] as const) {
    if ('missing' in part)
      problems.push({ code: 'missing-file', message: `${name} is missing from ${dir}; the package is incomplete` });
  }
  if ('missing' in sigFile)
    problems.push({
      code: 'missing-signature',
      message: `${PACKAGE_FILES.signature} is missing from ${dir}: the package is unsigned and cannot be trusted`,
    });

  if ('missing' in manifestFile) return done();
  let manifest: PackagedManifest;
  try {
    manifest = parsePackagedManifest(manifestFile.bytes.toString('utf8'));
  } catch (e) {
    problems.push({ code: 'malformed-manifest', message: (e as Error).message });
    return done();
  }
  const keyId = manifest.signer.keyId;

  if ('bytes' in wasm) {
    const digest = sha256Hex(wasm.bytes);
    if (digest !== manifest.sha256 || wasm.bytes.length !== manifest.size)
      problems.push({
        code: 'wasm-changed',
        message: `module.wasm was changed after signing: it has sha256 ${digest} (${wasm.bytes.length} bytes), the signed manifest records ${manifest.sha256} (${manifest.size} bytes)`,
      });
  }

  if ('missing' in sigFile) return done({ keyId, manifest });
  const signature = parseSignature(sigFile.bytes.toString('utf8'));
  if (!signature) {
    problems.push({
      code: 'malformed-signature',
      message: `${PACKAGE_FILES.signature} is not an ed25519 signature (64 bytes in base64); the package cannot be trusted`,
    });
    return done({ keyId, manifest });
  }
  const recordedKey = publicKeyFromBase64(manifest.signer.publicKey);
  if (!recordedKey && !pinnedKey) {
    problems.push({
      code: 'malformed-manifest',
      message:
        'manifest.json: field signer.publicKey is not an ed25519 public key; pass --pubkey to check the signature',
    });
    return done({ keyId, manifest });
  }
  // The signed digest is the one the manifest records: a changed module.wasm is reported above as
  // wasm-changed, and the signature then speaks for the manifest alone.
  const holds = (key: KeyObject) => signatureHolds(key, signature, manifestFile.bytes, manifest.sha256);
  const key = (pinnedKey ?? recordedKey) as KeyObject;
  if (holds(key)) return done({ keyId, manifest });

  if (pinnedKey) {
    // The signer is the key the manifest records (its keyId field is only a label for people).
    const signerId = recordedKey ? keyFingerprint(recordedKey) : keyId;
    const intactUnderRecorded = recordedKey !== undefined && holds(recordedKey);
    if (intactUnderRecorded || signerId !== keyFingerprint(pinnedKey))
      problems.push({
        code: 'wrong-key',
        message: `the package was signed by key ${signerId}, not by the --pubkey key ${keyFingerprint(pinnedKey)}; pass the signer's public key, or re-package with your own key`,
      });
    if (intactUnderRecorded) return done({ keyId, manifest });
  }
  problems.push({
    code: 'manifest-changed',
    message: `the signature does not match manifest.json: the manifest (or ${PACKAGE_FILES.signature}) was changed after signing`,
  });
  return done({ keyId, manifest });
}
