import { buildFixtures } from './build-fixtures.mts';

/** vitest global setup: every test run starts with fresh fixtures built from source. */
export default async function setup(): Promise<void> {
  await buildFixtures();
}
