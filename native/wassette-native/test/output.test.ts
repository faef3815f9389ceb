import { expect, it } from 'vitest';
import { chattyWat, compileWat, describeNative, newEngine, plan } from './helpers.ts';

/** Waits until `count()` reaches `wanted`: chunks may arrive after the run's Promise settles. */
async function until(count: () => number, wanted: number): Promise<void> {
  for (let i = 0; i < 200 && count() < wanted; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describeNative('streamed output', () => {
  it('calls onOutput once per chunk, in order, with exactly the captured bytes', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, chattyWat(10));
    const seen: { stream: string; chunk: Buffer }[] = [];
    const outcome = await engine.run(module, plan(), null, (stream, chunk) => seen.push({ stream, chunk }));
    await until(() => seen.length, outcome.chunks);
    expect(outcome.chunks).toBe(11);
    expect(seen).toHaveLength(outcome.chunks);
    expect(seen.map((s) => s.stream)).toEqual([...Array(10).fill('stdout'), 'stderr']);
    const joined = (stream: string) =>
      Buffer.concat(seen.filter((s) => s.stream === stream).map((s) => s.chunk)).toString();
    expect(joined('stdout')).toBe(outcome.stdout.toString());
    expect(joined('stderr')).toBe(outcome.stderr.toString());
    expect(outcome.stdout.toString()).toBe('line\n'.repeat(10));
  });

  it('never passes the output cap, and the run traps output-limit', async () => {
    const engine = newEngine();
    const module = await compileWat(engine, chattyWat(1_000));
    let streamed = 0;
    const outcome = await engine.run(
      module,
      plan({ limits: { ...plan().limits, maxOutputBytes: 22 } }),
      undefined,
      (_stream, chunk) => {
        streamed += chunk.length;
      },
    );
    expect(outcome.trap).toBe('output-limit');
    expect(outcome.stdout.toString()).toBe('line\nline\nline\nline\nli');
    expect(outcome.outputBytes).toBeGreaterThan(22);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streamed).toBe(22);
  });
});
