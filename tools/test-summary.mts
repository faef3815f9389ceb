/**
 * Prints one line for every package's vitest run and a repository total, `N passed, N failed`,
 * from the JSON reports the shared vitest config writes. Exits 1 when a report is missing or a
 * test failed, so that a run which executed nothing cannot pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const workspaces: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const ws of workspaces) {
  const file = join(root, ws, 'test-results.json');
  if (!existsSync(file)) {
    console.log(`${ws}: no test report (did its tests run?)`);
    missing++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as VitestReport;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  console.log(`${ws}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (failed > 0 || missing > 0 || passed === 0) process.exitCode = 1;
