import { describe, expect, it } from 'vitest';
import { BridgeError, ComponentPermissions, parseMemoryQuantity, policyFromYaml } from '../src/index.js';

function policyError(text: string): BridgeError {
  try {
    policyFromYaml(text, { baseDir: '/srv/app', source: 'policy.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error('expected the policy to be rejected');
}

describe('ComponentPermissions presets', () => {
  it('none() grants nothing and cannot be changed', () => {
    const p = ComponentPermissions.none();
    expect(p).toEqual({
      allowFs: false,
      allowedPaths: [],
      allowEnv: false,
      allowedEnvVars: [],
      allowNetwork: false,
      allowedHosts: [],
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.allowedPaths)).toBe(true);
  });

  it('forTesting() grants one scratch directory read-write and TEST_* variables, no network', () => {
    const p = ComponentPermissions.forTesting('/tmp/scratch-1');
    expect(p.allowedPaths).toEqual([{ hostPath: '/tmp/scratch-1', guestPath: '/tmp', readOnly: false }]);
    expect(p.allowedEnvVars).toEqual(['TEST_*']);
    expect(p.allowNetwork).toBe(false);
  });
});

describe('policyFromYaml (Wassette-style policy files)', () => {
  it('reads storage, network, environment and memory', () => {
    const { permissions, maxMemoryBytes } = policyFromYaml(
      `version: "1.0"
description: a tool that reads its data and calls one API
permissions:
  storage:
    allow:
      - uri: fs:///data
        access: [read]
      - uri: fs://./cache
        access: [read, write]
  network:
    allow:
      - host: api.example.com
      - host: "*.internal.example.com"
        port: 8443
  environment:
    allow:
      - key: HOME
      - key: APP_*
  resources:
    limits:
      memory: 512Mi
`,
      { baseDir: '/srv/app' },
    );
    expect(permissions.allowedPaths).toEqual([
      { hostPath: '/data', guestPath: '/data', readOnly: true },
      { hostPath: '/srv/app/cache', guestPath: '/cache', readOnly: false },
    ]);
    expect(permissions.allowedHosts).toEqual([
      { host: 'api.example.com', port: undefined },
      { host: '*.internal.example.com', port: 8443 },
    ]);
    expect(permissions.allowedEnvVars).toEqual(['HOME', 'APP_*']);
    expect([permissions.allowFs, permissions.allowEnv, permissions.allowNetwork]).toEqual([true, true, true]);
    expect(maxMemoryBytes).toBe(512 * 1024 * 1024);
  });

  it('an empty policy grants nothing', () => {
    const { permissions, maxMemoryBytes } = policyFromYaml('');
    expect(permissions).toEqual(ComponentPermissions.none());
    expect(maxMemoryBytes).toBeUndefined();
  });

  it('names the path of an unknown field', () => {
    const e = policyError(
      'permissions:\n  storage:\n    allow:\n      - uri: fs:///data\n        access: [read]\n        mode: 0755\n',
    );
    expect(e.kind).toBe('invalid-input');
    expect(e.message).toMatch(/^policy\.yaml: policy field permissions\.storage\.allow\[0\]/);
    expect(e.message).toContain('mode');
  });

  it('names the path of a bad access value', () => {
    const e = policyError(
      'permissions:\n  storage:\n    allow:\n      - uri: fs:///data\n        access: [read, execute]\n',
    );
    expect(e.message).toMatch(/permissions\.storage\.allow\[0\]\.access\[1\]/);
  });

  it('rejects a storage URI that is not fs://', () => {
    const e = policyError('permissions:\n  storage:\n    allow:\n      - uri: /data\n        access: [read]\n');
    expect(e.message).toMatch(/permissions\.storage\.allow\[0\]\.uri: must be an fs:\/\/ URI/);
  });

  it('rejects a bad memory size and an out-of-range port', () => {
    expect(policyError('permissions:\n  resources:\n    limits:\n      memory: lots\n').message).toMatch(
      /permissions\.resources\.limits\.memory: must be a size/,
    );
    expect(
      policyError('permissions:\n  network:\n    allow:\n      - host: a.example\n        port: 70000\n').message,
    ).toMatch(/permissions\.network\.allow\[0\]\.port/);
  });

  it('rejects an unknown top-level section and text that is not YAML', () => {
    expect(policyError('permisions: {}\n').message).toMatch(/permisions/);
    expect(policyError('permissions: [unclosed\n').message).toMatch(/not valid YAML/);
  });
});

describe('parseMemoryQuantity', () => {
  it.each([
    ['65536', 65536],
    ['64Ki', 64 * 1024],
    ['512Mi', 512 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['64M', 64_000_000],
    ['2k', 2000],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseMemoryQuantity(text)).toBe(bytes);
  });

  it.each(['', 'lots', '1.5Gi', '-1', '12Ti'])('%j is not a size', (text) => {
    expect(parseMemoryQuantity(text)).toBeUndefined();
  });
});
