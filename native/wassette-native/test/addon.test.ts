import { expect, it } from 'vitest';
import { addon, describeNative, nativeRequired, skipReason } from './helpers.ts';

it.runIf(nativeRequired)('is built when PORTALIS_REQUIRE_NATIVE is set', () => {
  expect(() => addon()).not.toThrow();
});

if (skipReason) console.warn(`@portalis/wassette-native tests skipped: ${skipReason}`);

describeNative('the addon', () => {
  it('reports the Wasmtime release inside', () => {
    expect(addon().NativeEngine.wasmtimeVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has no public constructor for modules', () => {
    expect(() => new (addon().NativeModule as unknown as new () => object)()).toThrow();
  });
});
