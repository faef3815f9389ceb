import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const globalSetup = fileURLToPath(new URL('./fixtures-setup.ts', import.meta.url));

/** Test settings every package shares: sources resolved through the `@portalis/source` condition, fixtures built once. */
export function sharedTestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return {
    resolve: { conditions: ['@portalis/source'] },
    ssr: { resolve: { conditions: ['@portalis/source'] } },
    test: {
      include: ['test/**/*.test.ts'],
      globalSetup: [globalSetup],
      testTimeout: 20_000,
      // The JSON report feeds tools/test-summary.mts, which prints one total for the whole repository.
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
      ...overrides,
    },
  };
}
