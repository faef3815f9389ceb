import { describe, expect, it } from 'vitest';
import type { EngineInfo, EngineProbes } from '../src/index.js';
import { BridgeError, selectEngine, WassetteClient } from '../src/index.js';

const js: EngineInfo = { name: 'js', available: true, version: 'V8 test', reason: undefined };
const wasmtimeUp: EngineInfo = { name: 'wasmtime', available: true, version: '40.0.0', reason: undefined };
const wasmtimeDown: EngineInfo = { name: 'wasmtime', available: false, version: undefined, reason: 'addon not built' };
const probes = (wasmtime: EngineInfo): EngineProbes => ({ js: () => js, wasmtime: () => wasmtime });

describe('selectEngine', () => {
  it('auto prefers wasmtime where it loads', () => {
    expect(selectEngine('auto', probes(wasmtimeUp))).toEqual({ engine: wasmtimeUp, fallback: undefined });
  });

  it('auto falls back to js and says why', () => {
    const s = selectEngine('auto', probes(wasmtimeDown));
    expect(s.engine).toBe(js);
    expect(s.fallback).toMatch(/addon not built/);
  });

  it('asking for an unavailable engine is an engine-unavailable error, never a fallback', () => {
    try {
      selectEngine('wasmtime', probes(wasmtimeDown));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BridgeError);
      expect((e as BridgeError).kind).toBe('engine-unavailable');
      expect((e as BridgeError).message).toMatch(/addon not built/);
    }
  });

  it('the client reports its engine and every known engine', () => {
    const c = new WassetteClient({ engine: 'auto', probes: probes(wasmtimeDown) });
    expect(c.engine.name).toBe('js');
    expect(c.isAvailable()).toBe(true);
    expect(c.engineFallback).toBeDefined();
    expect(c.engines().map((e) => [e.name, e.available])).toEqual([
      ['js', true],
      ['wasmtime', false],
    ]);
  });

  it('client configuration is frozen', () => {
    const c = new WassetteClient({ validation: { sizeBudgetBytes: 10 } });
    expect(Object.isFrozen(c.config)).toBe(true);
    expect(Object.isFrozen(c.config.validation)).toBe(true);
  });
});

describe('the real wasmtime probe', () => {
  const probe = new WassetteClient().engines().find((e) => e.name === 'wasmtime') as EngineInfo;

  it('finds the addon when the run requires it (CI builds it first), else says how to build it', () => {
    if (process.env.PORTALIS_REQUIRE_NATIVE === '1') {
      expect(probe.available, probe.reason).toBe(true);
      expect(probe.version).toMatch(/^Wasmtime \d+\.\d+\.\d+$/);
    } else if (!probe.available) {
      expect(probe.reason).toMatch(/npm run build:native/);
    } else {
      expect(probe.version).toMatch(/^Wasmtime /);
    }
  });
});
