import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WassetteClient } from '@portalis/wassette-bridge';
import type { TestCaseResult, TestSummary } from '../src/index.js';

export { fixtureBytes, fixturePath, watToWasm } from '../../../tools/fixtures.ts';

const specsDir = fileURLToPath(new URL('./specs/', import.meta.url));

/** Path of a spec under test/specs, e.g. `specPath('echo.yaml')`. */
export function specPath(name: string): string {
  return join(specsDir, name);
}

/** A client whose host environment is empty, so that guest output does not depend on the machine. */
export function quietClient(hostEnv: Record<string, string> = {}): WassetteClient {
  return new WassetteClient({ hostEnv });
}

/** The result called `name`; fails the test when there is none. */
export function result(summary: TestSummary, name: string): TestCaseResult {
  const found = summary.results.find((r) => r.name === name);
  if (!found) throw new Error(`no result named "${name}" in ${summary.results.map((r) => r.name).join(', ')}`);
  return found;
}
