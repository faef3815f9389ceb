import type { KeyObject } from 'node:crypto';
import { createHash, sign, verify } from 'node:crypto';

/** The first line of every signed message; a new package format gets a new line, so old signatures cannot be replayed. */
export const SIGNATURE_CONTEXT = 'portalis-package-signature-v1';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The exact bytes that manifest.sig signs: three lines of UTF-8, each ending in LF:
 *
 *     portalis-package-signature-v1
 *     manifest.json sha256:<hex of SHA-256 over manifest.json's bytes as written>
 *     module.wasm sha256:<hex of SHA-256 over module.wasm's bytes>
 *
 * The manifest is signed byte for byte (reformatting it breaks the signature), and it records the
 * wasm digest and the signer's public key itself, so one signature covers all three.
 */
export function signedMessage(manifestBytes: Uint8Array, wasmSha256: string): Buffer {
  return Buffer.from(
    `${SIGNATURE_CONTEXT}\nmanifest.json sha256:${sha256Hex(manifestBytes)}\nmodule.wasm sha256:${wasmSha256}\n`,
    'utf8',
  );
}

/** manifest.sig's content: the 64-byte ed25519 signature in base64, then LF. */
export function signPackage(privateKey: KeyObject, manifestBytes: Uint8Array, wasmSha256: string): string {
  return `${sign(null, signedMessage(manifestBytes, wasmSha256), privateKey).toString('base64')}\n`;
}

/** Reads manifest.sig's text back to the raw signature; undefined when it is not 64 bytes of base64. */
export function parseSignature(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const raw = Buffer.from(trimmed, 'base64');
  return raw.length === 64 ? raw : undefined;
}

export function signatureHolds(
  publicKey: KeyObject,
  signature: Buffer,
  manifestBytes: Uint8Array,
  wasmSha256: string,
): boolean {
  try {
    return verify(null, signedMessage(manifestBytes, wasmSha256), publicKey, signature);
  } catch {
    return false;
  }
}
