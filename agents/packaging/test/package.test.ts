import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PackagingError } from '../src/index.js';
import { generateKeyPair, signedMessage } from '../src/index.js';
import { agent, calcManifest, fixtureBytes, fixturePath, scratch } from './helpers.js';

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function setup() {
  const dir = scratch();
  const keys = await generateKeyPair(join(dir, 'release'));
  return { dir, keys, out: join(dir, 'out') };
}

describe('package', () => {
  it('writes OUT/<name>-<version>/ with exactly module.wasm, manifest.json and manifest.sig', async () => {
    const { keys, out } = await setup();
    const result = await agent.package(fixturePath('calc.wasm'), calcManifest(), {
      keyFile: keys.keyFile,
      outDir: out,
    });
    expect(result.dir).toBe(join(out, 'calc-1.0.0'));
    expect(readdirSync(result.dir).sort()).toEqual(['manifest.json', 'manifest.sig', 'module.wasm']);
    expect(new Uint8Array(readFileSync(result.files.module))).toEqual(fixtureBytes('calc.wasm'));
    expect(result.report.ok).toBe(true);
    expect(result.keyId).toBe(keys.keyId);
  });

  it('manifest.json is the given manifest plus digest, sizes, engine requirements, format version and signer', async () => {
    const { keys, out } = await setup();
    const wasm = fixtureBytes('calc.wasm');
    const result = await agent.package(fixturePath('calc.wasm'), calcManifest({ requiredExports: ['sub'] }), {
      keyFile: keys.keyFile,
      outDir: out,
    });
    const written = JSON.parse(readFileSync(result.files.manifest, 'utf8'));
    expect(written).toEqual({
      formatVersion: 1,
      name: 'calc',
      version: '1.0.0',
      description: 'four i32 operations',
      entry: 'add',
      callingConvention: 'function',
      capabilities: [],
      requiredExports: ['sub'],
      engine: { min: '0.1.0', engines: ['js', 'wasmtime'], kind: 'core', wasi: 'none', features: [] },
      module: 'module.wasm',
      sha256: hex(wasm),
      size: wasm.length,
      gzipSize: gzipSync(wasm, { level: 9 }).length,
      createdBy: 'portalis',
      portalisVersion: '0.1.0',
      signer: {
        algorithm: 'ed25519',
        keyId: keys.keyId,
        publicKey: createPublicKey(readFileSync(keys.pubFile))
          .export({ type: 'spki', format: 'der' })
          .toString('base64'),
      },
    });
    expect(result.manifest).toEqual(written);
    expect(gunzipSync(gzipSync(wasm)).length).toBe(wasm.length);
  });

  it('records what the module needs: a WASI command, an AssemblyScript plugin, a component', async () => {
    const { keys, out } = await setup();
    const hello = await agent.package(
      fixturePath('hello-wasi.wasm'),
      calcManifest({ name: 'hello', callingConvention: 'wasi-command', entry: '_start', capabilities: ['stdio'] }),
      { keyFile: keys.keyFile, outDir: out },
    );
    expect(hello.manifest.engine).toMatchObject({ kind: 'core', wasi: 'preview1' });
    const plugin = await agent.package(
      fixturePath('plugin.wasm'),
      calcManifest({ name: 'plugin', callingConvention: 'json', entry: 'analyze', engine: { engines: ['js'] } }),
      { keyFile: keys.keyFile, outDir: out },
    );
    expect(plugin.manifest.engine).toEqual({
      min: '0.1.0',
      engines: ['js'],
      kind: 'core',
      wasi: 'none',
      features: ['bulk-memory'],
    });
    const greeter = await agent.package(
      fixturePath('greeter.component.wasm'),
      calcManifest({ name: 'greeter', callingConvention: 'component', entry: 'add', engine: { min: '0.2.0' } }),
      { keyFile: keys.keyFile, outDir: out },
    );
    expect(greeter.manifest.engine).toMatchObject({ min: '0.2.0', engines: ['wasmtime'], kind: 'component' });
  });

  it('manifest.sig is an ed25519 signature over the documented three-line message', async () => {
    const { keys, out } = await setup();
    const result = await agent.package(fixturePath('calc.wasm'), calcManifest(), {
      keyFile: keys.keyFile,
      outDir: out,
    });
    const manifestBytes = readFileSync(result.files.manifest);
    const sigText = readFileSync(result.files.signature, 'utf8');
    expect(sigText).toMatch(/^[A-Za-z0-9+/]{86}==\n$/);
    // Rebuilt by hand from the README's description, not through the library.
    const message = Buffer.from(
      `portalis-package-signature-v1\nmanifest.json sha256:${hex(manifestBytes)}\nmodule.wasm sha256:${hex(fixtureBytes('calc.wasm'))}\n`,
    );
    expect(signedMessage(manifestBytes, hex(fixtureBytes('calc.wasm')))).toEqual(message);
    const pub = createPublicKey(readFileSync(keys.pubFile));
    expect(verify(null, message, pub, Buffer.from(sigText.trim(), 'base64'))).toBe(true);
  });

  it('is reproducible: the same inputs and key give byte-identical packages', async () => {
    const { keys, dir } = await setup();
    const a = await agent.package(fixturePath('calc.wasm'), calcManifest(), {
      keyFile: keys.keyFile,
      outDir: join(dir, 'a'),
    });
    const b = await agent.package(fixturePath('calc.wasm'), calcManifest(), {
      keyFile: keys.keyFile,
      outDir: join(dir, 'b'),
    });
    for (const f of ['module.wasm', 'manifest.json', 'manifest.sig'])
      expect(readFileSync(join(a.dir, f))).toEqual(readFileSync(join(b.dir, f)));
  });

  it('packaging the same name and version again replaces the files', async () => {
    const { keys, out } = await setup();
    await agent.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: keys.keyFile, outDir: out });
    const again = await agent.package(fixturePath('calc.wasm'), calcManifest({ description: 'second build' }), {
      keyFile: keys.keyFile,
      outDir: out,
    });
    expect(JSON.parse(readFileSync(again.files.manifest, 'utf8')).description).toBe('second build');
    expect(readdirSync(again.dir).sort()).toEqual(['manifest.json', 'manifest.sig', 'module.wasm']);
  });

  it('reads the manifest from a YAML file', async () => {
    const { dir, keys, out } = await setup();
    const yaml = join(dir, 'calc.yaml');
    writeFileSync(yaml, 'name: calc\nversion: 2.0.0\ncallingConvention: function\nentry: mul\n');
    const result = await agent.package(fixturePath('calc.wasm'), yaml, { keyFile: keys.keyFile, outDir: out });
    expect(result.dir).toBe(join(out, 'calc-2.0.0'));
    expect(result.manifest).toMatchObject({ entry: 'mul', capabilities: [] });
  });
});

describe('package refuses', () => {
  it('when a check fails: verify-failed with every check, and nothing written', async () => {
    const { keys, out } = await setup();
    const err = (await agent
      .package(fixturePath('guest-fs.wasm'), calcManifest({ callingConvention: 'wasi-command', entry: '_start' }), {
        keyFile: keys.keyFile,
        outDir: out,
      })
      .catch((e) => e)) as PackagingError;
    expect(err).toMatchObject({
      name: 'PackagingError',
      code: 'verify-failed',
      message: 'calc 1.0.0 was not packaged: 1 check failed (capabilities)',
      details: { failed: ['capabilities'] },
    });
    expect(err.report?.checks).toHaveLength(7);
    expect(err.report?.checks.find((c) => !c.ok)?.message).toMatch(/needs filesystem, args, exit/);
    expect(existsSync(out)).toBe(false);
  });

  it('lists several failed checks by name', async () => {
    const { keys, out } = await setup();
    await expect(
      agent.package(fixturePath('calc.wasm'), calcManifest({ entry: 'pow', budget: { rawBytes: 10 } }), {
        keyFile: keys.keyFile,
        outDir: out,
      }),
    ).rejects.toThrow('calc 1.0.0 was not packaged: 3 checks failed (exports, size, convention)');
  });

  it('with a missing or wrong key, before any other work', async () => {
    const { dir, keys, out } = await setup();
    await expect(
      agent.package('/no/such.wasm', calcManifest(), { keyFile: join(dir, 'none.key'), outDir: out }),
    ).rejects.toMatchObject({ code: 'bad-key', message: expect.stringMatching(/no such private key file/) });
    await expect(
      agent.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: keys.pubFile, outDir: out }),
    ).rejects.toThrow(/is a public key/);
  });

  it('when the output cannot be written', async () => {
    const { dir, keys } = await setup();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(
      agent.package(fixturePath('calc.wasm'), calcManifest(), { keyFile: keys.keyFile, outDir: file }),
    ).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/cannot write the package to /) });
  });
});
