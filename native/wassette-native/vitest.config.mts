import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

// The tests build their guests from WAT themselves; the shared fixture build is not needed.
export default defineConfig(sharedTestConfig({ globalSetup: [] }));
