import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BridgeError, DEFAULT_CONFIG, loadWassetteConfig } from '../src/index.js';

function project(toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portalis-config-'));
  if (toml !== undefined) writeFileSync(join(dir, 'portalis.toml'), toml);
  return dir;
}

function configError(run: () => unknown): BridgeError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    expect((e as BridgeError).kind).toBe('invalid-input');
    return e as BridgeError;
  }
  throw new Error('expected a configuration error');
}

describe('loadWassetteConfig', () => {
  it('gives the defaults when there is no file and no variable', () => {
    expect(loadWassetteConfig({ cwd: project(), env: {} })).toEqual(DEFAULT_CONFIG);
  });

  it('reads the [wassette] table of portalis.toml', () => {
    const dir = project(`[wassette]
enabled = true
engine = "auto"
max_memory_mb = 64
max_execution_time_secs = 5
fuel = 1000000
enable_sandbox = true
cache_dir = ".cache/wasm"
audit_log = "audit.jsonl"

[other]
ignored = 1
`);
    const c = loadWassetteConfig({ cwd: dir, env: {} });
    expect(c.engine).toBe('auto');
    expect(c.limits).toEqual({
      maxMemoryBytes: 64 * 1024 * 1024,
      maxExecutionTimeMs: 5000,
      fuel: 1_000_000,
      maxOutputBytes: 16 * 1024 * 1024,
    });
    expect(c.cacheDir).toBe('.cache/wasm');
    expect(c.auditLog).toBe('audit.jsonl');
  });

  it('layers defaults < file < environment < explicit options', () => {
    const dir = project('[wassette]\nmax_memory_mb = 64\nmax_execution_time_secs = 5\nfuel = 100\n');
    const c = loadWassetteConfig({
      cwd: dir,
      env: { PORTALIS_WASSETTE_MAX_MEMORY_MB: '32', PORTALIS_WASSETTE_FUEL: '200' },
      overrides: { limits: { maxMemoryBytes: 16 * 1024 * 1024, maxExecutionTimeMs: 5000, fuel: 200 } },
    });
    expect(c.limits.maxMemoryBytes).toBe(16 * 1024 * 1024);
    const envOnly = loadWassetteConfig({ cwd: dir, env: { PORTALIS_WASSETTE_MAX_MEMORY_MB: '32' } });
    expect(envOnly.limits).toEqual({
      maxMemoryBytes: 32 * 1024 * 1024,
      maxExecutionTimeMs: 5000,
      fuel: 100,
      maxOutputBytes: 16 * 1024 * 1024,
    });
  });

  it('PORTALIS_ENABLE_WASSETTE=1 selects the wasmtime engine', () => {
    expect(loadWassetteConfig({ cwd: project(), env: { PORTALIS_ENABLE_WASSETTE: '1' } }).engine).toBe('wasmtime');
    expect(loadWassetteConfig({ cwd: project(), env: { PORTALIS_ENABLE_WASSETTE: '0' } }).engine).toBe('js');
  });

  it('names the file, table and key of a bad value', () => {
    const dir = project('[wassette]\nmax_memory_mb = -5\n');
    expect(configError(() => loadWassetteConfig({ cwd: dir, env: {} })).message).toMatch(
      /portalis\.toml \[wassette\] max_memory_mb: /,
    );
  });

  it('rejects unknown keys in the table', () => {
    const dir = project('[wassette]\nmax_memroy_mb = 5\n');
    expect(configError(() => loadWassetteConfig({ cwd: dir, env: {} })).message).toMatch(/\[wassette\] max_memroy_mb/);
  });

  it('names the variable of a bad environment value', () => {
    expect(
      configError(() => loadWassetteConfig({ cwd: project(), env: { PORTALIS_WASSETTE_MAX_MEMORY_MB: 'lots' } }))
        .message,
    ).toBe('environment PORTALIS_WASSETTE_MAX_MEMORY_MB: expected a number, got "lots"');
    expect(
      configError(() => loadWassetteConfig({ cwd: project(), env: { PORTALIS_WASSETTE_ENGINE: 'v8' } })).message,
    ).toMatch(/^environment PORTALIS_WASSETTE_ENGINE: /);
    expect(
      configError(() => loadWassetteConfig({ cwd: project(), env: { PORTALIS_ENABLE_WASSETTE: 'yes' } })).message,
    ).toMatch(/PORTALIS_ENABLE_WASSETTE: expected 1 or 0/);
  });

  it('reports TOML that does not parse, and a missing explicit config file', () => {
    expect(configError(() => loadWassetteConfig({ cwd: project('[wassette\n'), env: {} })).message).toMatch(
      /not valid TOML/,
    );
    expect(
      configError(() => loadWassetteConfig({ configFile: '/nonexistent/portalis.toml', env: {} })).message,
    ).toMatch(/cannot read config file \/nonexistent\/portalis\.toml/);
  });
});
