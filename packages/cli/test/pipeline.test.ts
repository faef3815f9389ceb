import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, portalisWith, scratchDir } from './helpers.js';

const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const { dir: scratch } = scratchDir('portalis-cli-pipeline-');

/** The WAT examples only (no toolchain beyond npm), copied so that a test may break one. */
function items(name: string, how?: (dir: string) => void): string {
  const dir = join(scratch, name);
  for (const item of ['calculator-wat', 'line-count'])
    cpSync(join(examples, item), join(dir, item), { recursive: true });
  how?.(dir);
  return dir;
}

describe('portalis pipeline', () => {
  it('packages every item, prints a line per stage and a table, and says which key signed them', () => {
    const out = join(scratch, 'out-ok');
    const r = portalisWith(
      { env: { PORTALIS_DEV_KEY_DIR: join(scratch, 'keys'), CI: 'true' } },
      'pipeline',
      items('ok'),
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/note: created the local development key .*dev\.key \(not for release/);
    expect(r.stdout).toMatch(/^calculator-wat: test ok in [\d.]+s: 6\/6 passed$/m);
    expect(r.stdout).toMatch(/^item +status +stage/m);
    expect(r.stdout).toMatch(/^line-count +packaged +package +970 +6\/6/m);
    expect(r.stdout).toMatch(/2 packaged, 0 failed, 0 skipped in [\d.]+s; signed packages are in /);
    const again = portalisWith(
      { env: { PORTALIS_DEV_KEY_DIR: join(scratch, 'keys'), CI: 'true' } },
      'pipeline',
      items('ok'),
      '--out',
      out,
    );
    expect(again.stdout).toMatch(/note: using the local development key/);
  });

  it('--json prints the summary; a failed item makes the exit status 1 and names the stage', async () => {
    const dir = items('broken', (d) => {
      const spec = join(d, 'line-count', 'test.yaml');
      writeFileSync(spec, readFileSync(spec, 'utf8').replace('stdout: "3\\n"', 'stdout: "4\\n"'));
    });
    const r = await cli('pipeline', dir, '--out', join(scratch, 'out-broken'), '--key', await keyFile(), '--json');
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ total: 2, packaged: 1, failed: 1, key: { development: false } });
    expect(summary.items.find((i: { item: string }) => i.item === 'line-count')).toMatchObject({
      status: 'failed',
      stage: 'test',
    });
  });

  it('bad input is a usage error with one clear line', async () => {
    const missing = await cli('pipeline', join(scratch, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^portalis: .*nope does not exist; give a directory of examples or a pipeline config file\n$/,
    );
    const noKey = await cli('pipeline', items('nokey'), '--key', join(scratch, 'absent.key'));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--key .*absent\.key: no such file; create a key pair with portalis keygen/);
    const badConcurrency = await cli('pipeline', items('conc'), '--concurrency', '0');
    expect(badConcurrency.code).toBe(2);
    expect(badConcurrency.stderr).toMatch(/--concurrency must be a positive integer/);
  });
});

let key: string | undefined;
async function keyFile(): Promise<string> {
  if (!key) {
    const r = await cli('keygen', '-o', join(scratch, 'release'));
    expect(r.code).toBe(0);
    key = join(scratch, 'release.key');
  }
  return key;
}

describe('portalis pipeline on a terminal', () => {
  it('redraws one line per item, a bar and the elapsed time in place', async () => {
    const { pipelineCommand } = await import('../src/commands/pipeline.js');
    let out = '';
    const io = {
      stdout: (t: string | Uint8Array) => {
        out += String(t);
      },
      stderr: () => {},
      isTTY: true,
    };
    const code = await pipelineCommand(items('tty'), { out: join(scratch, 'out-tty'), key: await keyFile() }, io);
    expect(code).toBe(0);
    expect(out).toContain('\x1b[2K'); // lines cleared and redrawn
    expect(out).toMatch(new RegExp(`${'\x1b'}\\[\\d+A`)); // the cursor moves back up over the previous frame
    expect(out).toMatch(/\[#{24}\] 2\/2 {2}[\d.]+s/); // the full bar at the end
    expect(out).toMatch(/✔ line-count +packaged in/);
  });
});
