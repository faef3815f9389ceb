import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WassetteClient } from '@portalis/wassette-bridge';
import { expect } from 'vitest';
import {
  defaultFrontends,
  type Frontend,
  type FrontendDetection,
  SnippetCompiler,
  TranspileError,
} from '../src/index.js';

export { fixturePath } from '../../../tools/fixtures.ts';

export const client = new WassetteClient();

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A fresh temporary folder, and a function that writes a file into it and returns its path. */
export function scratch(prefix = 'portalis-transpiler-test-'): {
  dir: string;
  write: (name: string, data: string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write: (name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
  };
}

/** Runs `p`, expects a `TranspileError` with `code`, and returns it. */
export async function rejectsWith(p: Promise<unknown>, code: TranspileError['code']): Promise<TranspileError> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(TranspileError);
    expect((e as TranspileError).code, (e as Error).message).toBe(code);
    return e as TranspileError;
  }
  throw new Error(`expected a TranspileError with code ${code}`);
}

/** The optional toolchains of this machine, detected once, with the reason a suite skips. */
export const toolchains = await (async () => {
  // The same tools the agent under test will use, PORTALIS_CLANG / PORTALIS_RUSTC included.
  const byName = Object.fromEntries(defaultFrontends().map((f) => [f.name, f]));
  const [c, rust, rustSnippets, js] = await Promise.all([
    (byName.c as Frontend).detect(),
    (byName.rust as Frontend).detect(),
    (await new SnippetCompiler().languages()).find((l) => l.lang === 'rust') as FrontendDetection,
    (byName.javascript as Frontend).detect(),
  ]);
  return { c, rust, rustSnippets, js };
})();

/** A suite title that says why it is skipped when its toolchain is missing. */
export function suiteTitle(
  title: string,
  detection: { available: boolean; reason?: string; install?: string },
): string {
  return detection.available
    ? title
    : `${title} (skipped: ${detection.reason ?? 'toolchain missing'}; install ${detection.install ?? 'the toolchain'})`;
}

/** Escape sequences must never reach a message meant for a person or an LLM. */
export function expectClean(message: string, scratchDirs: string[] = []): void {
  expect(message).not.toContain(String.fromCharCode(27));
  for (const d of scratchDirs) expect(message).not.toContain(d);
  expect(message).not.toMatch(/portalis-(?:snippet|assemblyscript|rust|c|wat|javascript)-/);
  expect(message).not.toMatch(/errors? generated|aborting due to|FAILURE \d+ compile/);
}
