import { BridgeError } from '../errors.js';
import { probeWasmtime } from './wasmtime/engine.js';

export type EngineName = 'js' | 'wasmtime';
export type EngineChoice = EngineName | 'auto';

export interface EngineInfo {
  name: EngineName;
  available: boolean;
  /** The engine's own version (V8's for js, Wasmtime's for wasmtime) when available. */
  version: string | undefined;
  /** Why the engine is unavailable, and how to make it available. */
  reason: string | undefined;
}

/** Probes for each engine, injected so that the choice is testable without the filesystem. */
export type EngineProbes = Record<EngineName, () => EngineInfo>;

export interface EngineSelection {
  engine: EngineInfo;
  /** Set when `auto` fell back from wasmtime to js; says why. */
  fallback: string | undefined;
}

/**
 * The one place that turns a requested engine into a running one. Asking for an unavailable
 * engine is an error, never a silent fallback; `auto` prefers wasmtime and says when it fell back.
 */
export function selectEngine(choice: EngineChoice, probes: EngineProbes): EngineSelection {
  if (choice === 'auto') {
    const wasmtime = probes.wasmtime();
    if (wasmtime.available) return { engine: wasmtime, fallback: undefined };
    return { engine: probes.js(), fallback: `wasmtime unavailable (${wasmtime.reason}); using the js engine` };
  }
  const engine = probes[choice]();
  if (!engine.available) {
    throw new BridgeError('engine-unavailable', `the ${choice} engine is not available: ${engine.reason}`, {
      details: { engine: choice },
    });
  }
  return { engine, fallback: undefined };
}

export const defaultProbes: EngineProbes = {
  js: () => ({ name: 'js', available: true, version: `V8 ${process.versions.v8}`, reason: undefined }),
  wasmtime: probeWasmtime,
};
