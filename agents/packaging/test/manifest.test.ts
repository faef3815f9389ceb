import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PackageManifest } from '../src/index.js';
import { checkManifest, loadManifest, parseManifest } from '../src/index.js';
import { agent, calcManifest, fixturePath, scratch } from './helpers.js';

const YAML = `# the calculator's manifest
name: calc
version: 1.2.0
description: four i32 operations
entry: add
callingConvention: function
capabilities: []
requiredExports: [sub, mul]
forbiddenImports: ["wasi_snapshot_preview1.sock_*"]
budget:
  rawBytes: 64K
  gzipBytes: 4096
engine:
  min: 0.1.0
  engines: [js]
inputSchema:
  type: array
  items: { type: integer }
outputSchema: { type: integer }
`;

/** The first error message `text` gives as a manifest, or undefined when it parses. */
function errorOf(text: string, source = 'm.yaml'): string | undefined {
  try {
    parseManifest(text, source);
    return undefined;
  } catch (e) {
    expect(e).toMatchObject({ name: 'PackagingError', code: 'bad-manifest' });
    return (e as Error).message;
  }
}

const base = 'name: calc\nversion: 1.0.0\ncallingConvention: function\nentry: add\n';

describe('manifest: reading', () => {
  it('reads every field from YAML, with sizes in bytes', () => {
    const m = parseManifest(YAML, 'calc.yaml');
    expect(m).toEqual({
      name: 'calc',
      version: '1.2.0',
      description: 'four i32 operations',
      entry: 'add',
      callingConvention: 'function',
      capabilities: [],
      requiredExports: ['sub', 'mul'],
      forbiddenImports: ['wasi_snapshot_preview1.sock_*'],
      budget: { rawBytes: 65536, gzipBytes: 4096 },
      engine: { min: '0.1.0', engines: ['js'] },
      inputSchema: { type: 'array', items: { type: 'integer' } },
      outputSchema: { type: 'integer' },
    });
  });

  it('reads JSON from a .json file, and a manifest file from disk', async () => {
    const dir = scratch();
    const json = join(dir, 'calc.json');
    writeFileSync(json, JSON.stringify(calcManifest()));
    expect(await loadManifest(json)).toEqual(calcManifest());
    const yaml = join(dir, 'calc.yaml');
    writeFileSync(yaml, YAML);
    expect((await loadManifest(yaml)).budget).toEqual({ rawBytes: 65536, gzipBytes: 4096 });
    const report = await agent.verify(fixturePath('calc.wasm'), yaml);
    expect(report.ok).toBe(true);
  });

  it('defaults: capabilities to none, a wasi-command entry to _start', () => {
    const m = parseManifest('name: hello\nversion: 0.1.0\ncallingConvention: wasi-command\n');
    expect(m).toMatchObject({ entry: '_start', capabilities: [] });
  });

  it('checks a manifest given as an object as strictly as a file', () => {
    expect(() => checkManifest({ ...calcManifest(), capabilities: ['teleport'] })).toThrow(
      /field capabilities\[0\]: must be one of filesystem, env, args/,
    );
  });
});

describe('manifest: errors name the field path', () => {
  it('a missing file names the path and the flag', async () => {
    await expect(loadManifest('/no/such/manifest.yaml')).rejects.toMatchObject({
      code: 'bad-manifest',
      message: 'no such manifest file: /no/such/manifest.yaml; check the --manifest path',
    });
  });

  it('YAML and JSON syntax errors say which format', () => {
    expect(errorOf('name: [calc\n')).toMatch(/^m\.yaml: the manifest is not valid YAML: /);
    expect(errorOf('{"name": ', 'm.json')).toMatch(/^m\.json: the manifest is not valid JSON: /);
  });

  it('a document that is not a mapping', () => {
    expect(errorOf('- a\n- b\n')).toBe('m.yaml: the manifest must be a mapping of fields (name, version, ...)');
    expect(errorOf('')).toMatch(/must be a mapping/);
  });

  it('missing required fields', () => {
    expect(errorOf('version: 1.0.0\ncallingConvention: function\nentry: add\n')).toMatch(
      /^m\.yaml: field name: must be a package name such as calc/,
    );
    expect(errorOf('name: calc\nversion: 1.0.0\nentry: add\n')).toMatch(
      /field callingConvention: must be one of wasi-command, json, function, component/,
    );
    expect(errorOf('name: calc\nversion: 1.0.0\ncallingConvention: json\n')).toBe(
      'm.yaml: field entry: required for the json convention; name the exported function a host calls',
    );
  });

  it('a version YAML reads as a number asks for quotes', () => {
    expect(errorOf('name: calc\nversion: 1.0\ncallingConvention: function\nentry: add\n')).toMatch(
      /field version: must be a semantic version such as 1\.0\.0 \(in YAML, quote it/,
    );
    expect(errorOf('name: calc\nversion: "v1"\ncallingConvention: function\nentry: add\n')).toMatch(
      /field version: must be a semantic version such as 1\.0\.0$/,
    );
  });

  it('a name that cannot be a directory', () => {
    expect(errorOf('name: ../evil\nversion: 1.0.0\ncallingConvention: function\nentry: add\n')).toMatch(
      /field name: must start with a letter or digit .* \(it names the package directory\)/,
    );
  });

  it('nested paths: capabilities[i], budget.rawBytes, engine.engines[i], inputSchema', () => {
    expect(errorOf(`${base}capabilities: [stdio, network]\n`)).toMatch(/field capabilities\[1\]: must be one of /);
    expect(errorOf(`${base}budget:\n  rawBytes: lots\n`)).toMatch(
      /field budget\.rawBytes: expected a byte count such as 307200, 300K or 1\.5M, got "lots"/,
    );
    expect(errorOf(`${base}budget:\n  rawBytes: -5\n`)).toMatch(/field budget\.rawBytes: must be more than 0 bytes/);
    expect(errorOf(`${base}engine:\n  engines: [js, v8]\n`)).toMatch(
      /field engine\.engines\[1\]: must be js or wasmtime/,
    );
    expect(errorOf(`${base}inputSchema: 42\n`)).toMatch(/field inputSchema: must be a JSON Schema/);
  });

  it('unknown fields are named, top level and nested', () => {
    expect(errorOf(`${base}entry_point: add\n`)).toBe(
      'm.yaml: unknown field entry_point; the fields are described in agents/packaging/README.md',
    );
    expect(errorOf(`${base}budget:\n  raw: 5\n`)).toMatch(/unknown field budget\.raw;/);
  });

  it('verify refuses a bad manifest before reading the artifact', async () => {
    const bad = { ...calcManifest(), version: 'one' } as PackageManifest;
    await expect(agent.verify('/no/such.wasm', bad)).rejects.toMatchObject({
      code: 'bad-manifest',
      message: expect.stringMatching(/field version/),
    });
  });
});
