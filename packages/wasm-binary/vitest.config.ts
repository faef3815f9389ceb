import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

const setup = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig(
  sharedTestConfig({ globalSetup: [setup('../../tools/fixtures-setup.ts'), setup('./test/scanner-setup.ts')] }),
);
