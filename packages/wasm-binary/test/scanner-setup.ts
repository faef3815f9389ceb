import { buildScanner } from '../scripts/build-scanner.mts';

/** vitest global setup: the tests import src/, which needs the scanner the build generates from assembly/. */
export default async function setup(): Promise<void> {
  await buildScanner();
}
