import { createRequire } from 'node:module';

/**
 * The part of `@portalis/wassette-native` this engine uses. The addon is optional: the bridge
 * builds and runs without it, so it is loaded at run time and described here rather than imported.
 */
export interface NativeModule {
  readonly kind: 'core' | 'component';
  readonly source: 'compile' | 'disk' | 'rebuilt';
}

export interface NativePlan {
  kind: 'command' | 'function' | 'json';
  args: string[];
  env: string[][];
  stdin?: Uint8Array;
  preopens: { hostPath: string; guestPath: string; readOnly: boolean }[];
  network: { allow: boolean; hosts: { host: string; port?: number }[] };
  function?: string;
  fnArgs?: { type: 'i32' | 'i64' | 'f32' | 'f64'; value: number | bigint }[];
  jsonInput?: Uint8Array;
  allocExport?: string;
  limits: { maxMemoryBytes: number; timeoutMs: number; fuel?: number; maxOutputBytes: number };
  deterministic?: { startTimeNs: bigint; seed: number };
}

export interface NativeOutcome {
  exitCode?: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  outputBytes: number;
  returns?: (number | bigint)[];
  jsonOutput?: Uint8Array;
  fuelConsumed?: number;
  memoryUsedBytes: number;
  memoryGrowFailures: number;
  trap?: string;
  message?: string;
  elapsedMs: number;
  chunks: number;
}

export interface NativeEngine {
  compile(bytes: Uint8Array, options: { metered: boolean; cacheDir?: string }): Promise<NativeModule>;
  run(
    module: NativeModule,
    plan: NativePlan,
    signal?: AbortSignal | null,
    onOutput?: ((stream: 'stdout' | 'stderr', chunk: Uint8Array) => void) | null,
  ): Promise<NativeOutcome>;
}

export interface NativeAddon {
  NativeEngine: { new (options?: { maxWasmStack?: number }): NativeEngine; wasmtimeVersion(): string };
  /** Names, inodes and types of the directory open as descriptor `fd` (see native-listing.ts). */
  listDirectoryFd?(fd: number): Uint8Array;
}

export const ADDON_PACKAGE = '@portalis/wassette-native';

/** How to get the addon, for every message that says it is missing. */
export const BUILD_HINT =
  'build it with `npm run build:native` (needs a Rust toolchain and access to crates.io; see native/wassette-native/README.md)';

let loaded: { addon: NativeAddon } | { error: string } | undefined;

/** Loads the addon once; afterwards returns the same addon, or the same reason it did not load. */
export function loadAddon(): { addon: NativeAddon } | { error: string } {
  if (loaded) return loaded;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PACKAGE) as NativeAddon;
    if (typeof addon?.NativeEngine?.wasmtimeVersion !== 'function')
      throw new Error(`${ADDON_PACKAGE} does not export NativeEngine; rebuild it`);
    loaded = { addon };
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n')[0] ?? 'unknown error';
    // napi-rs's loader says this when no .node file exists for the platform; its advice about
    // npm and optional dependencies does not apply to a workspace build.
    loaded = { error: /^Cannot find native binding/.test(first) ? 'it is not built here' : first };
  }
  return loaded;
}
