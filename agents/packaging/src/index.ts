/**
 * @portalis/agent-packaging: verify a wasm artifact before it ships, and write signed packages.
 *
 * Core concepts:
 * - `PackageManifest`: what the author declares (name, version, entry, calling convention,
 *   capabilities, schemas, budgets, required exports, forbidden imports), read from YAML or JSON.
 * - `PackagingAgent.verify`: runs the checks (`VerifyCheck`: valid, exports, imports,
 *   capabilities, size, gzip-size, convention, and optimize when asked) and returns them all.
 * - `PackagingAgent.package`: verifies, then writes `<name>-<version>/` with module.wasm,
 *   manifest.json and manifest.sig, a detached ed25519 signature over `signedMessage(...)`.
 * - `generateKeyPair` / `verifyPackage`: the signing key pair, and the check a consumer runs.
 * - `PackagingError`: bad input, with a closed `code`; package problems are data, not errors.
 */
export type {
  PackageOptions,
  PackageResult,
  PackagingAgentOptions,
  VerifyOptions,
  WrittenManifest,
} from './agent.js';
export { PACKAGE_FILES, PACKAGE_FORMAT_VERSION, PackagingAgent, PORTALIS_VERSION } from './agent.js';
export type { CheckName, VerifyCheck, VerifyReport } from './checks.js';
export { DEFAULT_BUDGET, globToRegExp, runChecks } from './checks.js';
export type { PackagingErrorCode } from './errors.js';
export { isPackagingError, PackagingError } from './errors.js';
export type { KeyPairFiles } from './keys.js';
export { generateKeyPair, keyFingerprint, readPrivateKey, readPublicKey } from './keys.js';
export type { CallingConvention, EngineName, PackagedManifest, PackageManifest } from './manifest.js';
export { CALLING_CONVENTIONS, CAPABILITIES, checkManifest, loadManifest, parseManifest } from './manifest.js';
export type { Optimizer } from './optimize.js';
export { wasmOptOz } from './optimize.js';
export { SIGNATURE_CONTEXT, signedMessage } from './signature.js';
export type { PackageProblem, PackageProblemCode, PackageVerification } from './verify-package.js';
export { verifyPackage } from './verify-package.js';
