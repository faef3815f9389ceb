import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesOut } from './build-fixtures.mts';

/** Path of a built fixture, e.g. `fixturePath('calc.wasm')`. The tests' global setup builds them. */
export function fixturePath(name: string): string {
  return join(fixturesOut, name);
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** Every built fixture file name, core modules and components alike. */
export function allFixtures(): string[] {
  return readdirSync(fixturesOut)
    .filter((f) => f.endsWith('.wasm'))
    .sort();
}

export { watToWasm } from './build-fixtures.mts';
