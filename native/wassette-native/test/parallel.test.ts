import { expect, it } from 'vitest';
import { compileWat, describeNative, ECHO_WAT, NUMBERS_WAT, newEngine, plan } from './helpers.ts';

describeNative('parallel runs', () => {
  it('50 runs at once all succeed, each with its own args', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, ECHO_WAT);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        engine.run(module, plan({ args: ['echo', `run-${i}`], stdin: new TextEncoder().encode(`in-${i}`) })),
      ),
    );
    outcomes.forEach((outcome, i) => {
      expect(outcome.exitCode).toBe(3);
      expect(outcome.stdout.toString()).toBe(`echo\nrun-${i}\n`);
      expect(outcome.stderr.toString()).toBe(`in-${i}`);
    });
  });

  it('compiles in parallel too, creating each engine once', async () => {
    const engine = newEngine();
    const modules = await Promise.all(
      Array.from({ length: 8 }, (_, i) => compileWat(engine, NUMBERS_WAT, { metered: i % 2 === 0 })),
    );
    expect(modules.map((m) => m.metered)).toEqual([true, false, true, false, true, false, true, false]);
  });
});
