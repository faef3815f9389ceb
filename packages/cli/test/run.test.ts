import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  cliWith,
  expectHealthy,
  expectTrap,
  expectUsage,
  fixturePath,
  portalis,
  portalisUntilFirstChunk,
  portalisWith,
  scratchDir,
  TRAP,
  USAGE,
} from './helpers.js';

const { dir: scratch } = scratchDir('portalis-run-');
const fx = fixturePath;

describe('run-wasm: WASI commands', () => {
  it('runs a command and passes its output through', async () => {
    const r = await cli('run-wasm', fx('hello-wasi.wasm'));
    expect(r).toMatchObject({ code: 0, stdout: 'hello from wasm\n', stderr: '' });
  });

  it("argv[0] is the module's file name; arguments after FILE or after -- go to the guest", async () => {
    const r = await cli('run-wasm', fx('guest-echo.wasm'), 'one', '--', '--two', '-3', 'four five');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('guest-echo.wasm\none\n--two\n-3\nfour five\n');
  });

  it('flags after FILE are still flags unless they come after --', async () => {
    const r = await cli('run-wasm', fx('guest-echo.wasm'), 'a', '--env', 'K=v', '--', '--env', 'b');
    expect(r.stdout).toBe('guest-echo.wasm\na\n--env\nb\nK=v\n');
  });

  it('--args "A B" passes whitespace-separated arguments before those after FILE', async () => {
    const r = await cli('run-wasm', fx('guest-echo.wasm'), '--args', ' 2  + 2 ', 'last');
    expect(r.stdout).toBe('guest-echo.wasm\n2\n+\n2\nlast\n');
  });

  it('passes stdin to a guest that reads it', async () => {
    const r = await cliWith({ stdin: 'piped\ninput' }, 'run-wasm', fx('guest-echo.wasm'));
    expect(r).toMatchObject({ code: 0, stdout: 'guest-echo.wasm\npiped\ninput' });
  });

  it("exits with the guest's own status and passes its stderr through", async () => {
    const r = await cli('run-wasm', fx('guest-exit.wasm'));
    expect(r).toMatchObject({ code: 3, stdout: '', stderr: 'bye\n' });
  });

  it('guest output is written as it arrives, not once at the end', async () => {
    const r = await cli('run-wasm', '--max-output', '64K', fx('guest-spam.wasm'));
    expect(r.stdoutWrites).toBeGreaterThan(1);
    expect(r.stdout.startsWith('spam spam spam\n')).toBe(true);
  });

  it('--deterministic makes two runs print the same entropy; without it they differ', async () => {
    const a = await cli('run-wasm', '--deterministic', fx('guest-entropy.wasm'));
    const b = await cli('run-wasm', '--deterministic', fx('guest-entropy.wasm'));
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect(b.stdout).toBe(a.stdout);
    const c = await cli('run-wasm', fx('guest-entropy.wasm'));
    const d = await cli('run-wasm', fx('guest-entropy.wasm'));
    expect(c.stdout).not.toBe(d.stdout);
  });
});

describe('run-wasm: environment', () => {
  const secret = 'PORTALIS_RUN_SECRET';
  beforeAll(() => {
    process.env[secret] = 'hunter2';
  });
  afterEach(() => {
    process.env[secret] = 'hunter2';
  });

  it('grants no host variable without a flag', async () => {
    const r = await cli('run-wasm', fx('guest-echo.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('guest-echo.wasm\n');
    expect(r.stdout).not.toContain('hunter2');
  });

  it('--env KEY=VALUE sets a variable; the value may hold =', async () => {
    const r = await cli('run-wasm', fx('guest-echo.wasm'), '--env', 'MODE=fast', '--env', 'EXPR=a=b');
    expect(r.stdout).toBe('guest-echo.wasm\nMODE=fast\nEXPR=a=b\n');
  });

  it('--env-allow passes host variables matching a name or glob, and only those', async () => {
    process.env.PORTALIS_RUN_OTHER = 'x';
    try {
      const exact = await cli('run-wasm', '--env-allow', secret, fx('guest-echo.wasm'));
      expect(exact.stdout).toBe(`guest-echo.wasm\n${secret}=hunter2\n`);
      const glob = await cli('run-wasm', '--env-allow', 'PORTALIS_RUN_*', fx('guest-echo.wasm'));
      expect(glob.stdout).toContain(`${secret}=hunter2\n`);
      expect(glob.stdout).toContain('PORTALIS_RUN_OTHER=x\n');
      expect(glob.stdout).not.toMatch(/^PATH=/m);
    } finally {
      delete process.env.PORTALIS_RUN_OTHER;
    }
  });
});

describe('run-wasm: filesystem grants', () => {
  const data = join(scratch, 'data');
  const inner = join(data, 'inner');
  beforeAll(() => {
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(data, 'hello.txt'), 'hello from the host\n');
    writeFileSync(join(inner, 'note.txt'), 'inner note\n');
    writeFileSync(join(scratch, 'secret.txt'), 'top secret\n');
  });

  it('without --dir the guest has no directory at all (EBADF on fd 3)', async () => {
    const r = await cli('run-wasm', fx('guest-fs.wasm'), 'read', 'hello.txt');
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
  });

  it('--dir grants a directory to read', async () => {
    const r = await cli('run-wasm', '--dir', data, fx('guest-fs.wasm'), '--', 'read', 'hello.txt');
    expect(r).toMatchObject({ code: 0, stdout: 'hello from the host\n' });
  });

  it('--dir HOST::GUEST and --dir-ro read the same', async () => {
    const a = await cli('run-wasm', '--dir', `${data}::/data`, fx('guest-fs.wasm'), 'read', 'inner/note.txt');
    expect(a).toMatchObject({ code: 0, stdout: 'inner note\n' });
    const b = await cli('run-wasm', '--dir-ro', `${data}::/data`, fx('guest-fs.wasm'), 'read', 'hello.txt');
    expect(b).toMatchObject({ code: 0, stdout: 'hello from the host\n' });
  });

  it('--dir grants writing', async () => {
    const r = await cliWith(
      { stdin: 'written by the guest' },
      'run-wasm',
      '--dir',
      data,
      fx('guest-fs.wasm'),
      'write',
      'out.txt',
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(data, 'out.txt'), 'utf8')).toBe('written by the guest');
  });

  it('--dir-ro refuses a write: the guest exits with the WASI errno and nothing is created', async () => {
    const r = await cliWith({ stdin: 'nope' }, 'run-wasm', '--dir-ro', data, fx('guest-fs.wasm'), 'write', 'ro.txt');
    expect([2, 63, 76]).toContain(r.code);
    expect(existsSync(join(data, 'ro.txt'))).toBe(false);
  });

  it('a guest cannot climb out of its directory with ../', async () => {
    const r = await cli('run-wasm', '--dir', `${inner}::/data`, fx('guest-fs.wasm'), 'read', '../../secret.txt');
    expect([2, 44, 63, 76]).toContain(r.code);
    expect(r.stdout).not.toContain('top secret');
    const abs = await cli('run-wasm', '--dir', inner, fx('guest-fs.wasm'), 'read', join(scratch, 'secret.txt'));
    expect(abs.code).not.toBe(0);
    expect(abs.stdout).not.toContain('top secret');
  });

  it('a guest path with .. in a flag is refused before anything runs', async () => {
    expectUsage(await cli('run-wasm', '--dir', `${data}::../up`, fx('hello-wasi.wasm')), /must not contain '\.\.'/);
    expectUsage(await cli('run-wasm', '--dir-ro', `${data}::/a/../..`, fx('hello-wasi.wasm')), /must not contain/);
  });
});

describe('run-wasm: limits', () => {
  it('--fuel stops an endless loop, names the flag, and the next run works', async () => {
    expectTrap(
      await cli('run-wasm', '--fuel', '100000', fx('guest-loop.wasm')),
      'error: out of fuel after 100000 units (raise --fuel)',
    );
    await expectHealthy();
    const enough = await cli('run-wasm', '--fuel', '1000000', fx('hello-wasi.wasm'));
    expect(enough).toMatchObject({ code: 0, stdout: 'hello from wasm\n' });
  });

  it('--timeout stops an endless loop (fractions of a second allowed)', async () => {
    const started = Date.now();
    expectTrap(
      await cli('run-wasm', '--timeout', '0.5', fx('guest-loop.wasm')),
      'error: timed out after 0.5s (raise --timeout)',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectHealthy();
  });

  it('--max-output stops endless output after that many bytes', async () => {
    const r = await cli('run-wasm', '--max-output', '1000', fx('guest-spam.wasm'));
    expectTrap(r, 'error: output limit of 1000 bytes reached (raise --max-output)');
    expect(r.stdoutBytes.length).toBeLessThanOrEqual(1000);
    expect(r.stdout.length).toBeGreaterThan(0);
    await expectHealthy();
  });

  it('--max-memory makes memory.grow fail past the cap; the guest sees -1 and carries on', async () => {
    const r = await cli('run-wasm', '--max-memory', '2', '--json', fx('guest-grow.wasm'));
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.stdout).toBe('grow refused\n');
    expect(result.memoryUsedBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(result.memoryGrowFailures).toBeGreaterThanOrEqual(1);
    await expectHealthy();
  });

  it('a module whose own memory is over --max-memory hits the limit and names the flag', async () => {
    // guest-echo declares 2 pages (128 KiB): a 64 KiB cap cannot hold it.
    const r = await cli('run-wasm', '--max-memory', '0.0625', fx('guest-echo.wasm'));
    expect(r.stderr).toMatch(/^error: [^\n]*--max-memory[^\n]*\n$/);
    expect([USAGE, TRAP]).toContain(r.code);
  });

  it('endless recursion is a stack-overflow trap', async () => {
    expectTrap(await cli('run-wasm', fx('guest-recurse.wasm')), 'error: wasm trap: call stack exhausted');
    await expectHealthy();
  });

  it('--isolation in-thread runs under fuel, and refuses to run without it', async () => {
    expectTrap(
      await cli('run-wasm', '--isolation', 'in-thread', '--fuel', '50000', fx('guest-loop.wasm')),
      'error: out of fuel after 50000 units (raise --fuel)',
    );
    const ok = await cli('run-wasm', '--isolation', 'in-thread', '--fuel', '1000000', fx('hello-wasi.wasm'));
    expect(ok).toMatchObject({ code: 0, stdout: 'hello from wasm\n' });
    expectUsage(await cli('run-wasm', '--isolation', 'in-thread', fx('hello-wasi.wasm')), /in-thread needs --fuel N/);
  });
});

describe('run-wasm --json', () => {
  it('prints the ExecutionResult with output as text and absent fields as null', async () => {
    const r = await cli('run-wasm', '--json', fx('hello-wasi.wasm'));
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      module: { name: 'hello-wasi.wasm', engine: 'js' },
      success: true,
      exitCode: 0,
      stdout: 'hello from wasm\n',
      stderr: '',
      outputBytes: 16,
      trap: null,
      error: null,
    });
    expect(result.module.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof result.executionTimeMs).toBe('number');
    expect(result).not.toHaveProperty('stdoutBase64');
  });

  it('keeps the exit code and the one error line; the result names the trap', async () => {
    const exit = await cli('run-wasm', '--json', fx('guest-exit.wasm'));
    expect(exit.code).toBe(3);
    expect(JSON.parse(exit.stdout)).toMatchObject({ exitCode: 3, stderr: 'bye\n' });

    const fuel = await cli('run-wasm', '--json', '--fuel', '10000', fx('guest-loop.wasm'));
    expectTrap(fuel, 'error: out of fuel after 10000 units (raise --fuel)');
    expect(JSON.parse(fuel.stdout)).toMatchObject({
      success: false,
      trap: 'out-of-fuel',
      error: { kind: 'limit-exceeded', code: 'out-of-fuel' },
    });
  });

  it('adds base64 when the output is not valid UTF-8', async () => {
    const dir = join(scratch, 'binary');
    mkdirSync(dir, { recursive: true });
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0xc3]);
    writeFileSync(join(dir, 'blob.bin'), bytes);
    const r = await cli('run-wasm', '--json', '--dir-ro', dir, fx('guest-fs.wasm'), 'read', 'blob.bin');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Buffer.from(result.stdoutBase64, 'base64')).toEqual(Buffer.from(bytes));
    expect(typeof result.stdout).toBe('string');
  });

  it('without --json, binary guest output passes through byte for byte', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0xc3]);
    const r = await cli('run-wasm', '--dir-ro', join(scratch, 'binary'), fx('guest-fs.wasm'), 'read', 'blob.bin');
    expect(r.stdoutBytes).toEqual(bytes);
  });
});

describe('run-wasm --audit-log', () => {
  it('appends one JSON line per run, with what the flags granted and limited', async () => {
    const log = join(scratch, 'audit.jsonl');
    await cli('run-wasm', '--audit-log', log, '--env-allow', 'APP_*', '--fuel', '1000000', fx('hello-wasi.wasm'));
    await cli('run-wasm', '--audit-log', log, fx('guest-exit.wasm'));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      module: { name: 'hello-wasi.wasm' },
      request: { kind: 'command', entry: '_start' },
      permissions: { allowEnv: true, allowedEnvVars: ['APP_*'], allowFs: false },
      limits: { fuel: 1000000 },
      outcome: 'success',
    });
    expect(second).toMatchObject({ module: { name: 'guest-exit.wasm' }, outcome: 'exit', exitCode: 3 });
  });
});

describe('the portalis binary: run-wasm', () => {
  it('streams output, passes stdin and exits with the guest status', () => {
    const r = portalisWith({ input: 'from a pipe' }, 'run-wasm', fx('guest-echo.wasm'), 'x');
    expect(r).toMatchObject({ code: 0, stdout: 'guest-echo.wasm\nx\nfrom a pipe', stderr: '' });
    expect(portalis('run-wasm', fx('guest-exit.wasm'))).toMatchObject({ code: 3, stderr: 'bye\n' });
  });

  it('exits 125 and 134 with one line and never a stack trace', () => {
    const runs = [
      portalis('run-wasm', '--fuel', '-1', fx('hello-wasi.wasm')),
      portalis('run-wasm', join(scratch, 'absent.wasm')),
      portalis('run-wasm', '--frobnicate', fx('hello-wasi.wasm')),
      portalis('run-wasm', fx('calc.wasm')),
      portalis('run-wasm', '--fuel', '10000', fx('guest-loop.wasm')),
      portalis('run-wasm', '--timeout', '0.3', fx('guest-loop.wasm')),
      portalis('run-wasm', fx('guest-recurse.wasm')),
    ];
    expect(runs.map((r) => r.code)).toEqual([USAGE, USAGE, USAGE, USAGE, TRAP, TRAP, TRAP]);
    for (const r of runs) {
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    }
  });

  it('a reader that goes away ends the run with the SIGPIPE status and no stack trace', async () => {
    const r = await portalisUntilFirstChunk('run-wasm', fx('guest-spam.wasm'));
    expect(r.first).toMatch(/^spam spam spam\n/);
    expect(r.code).toBe(141);
    expect(r.stderr).toBe('');
  });

  it('--help documents the flags and the exit codes', () => {
    const r = portalis('run-wasm', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: portalis run-wasm');
    for (const flag of ['--dir', '--dir-ro', '--env', '--env-allow', '--max-memory', '--timeout', '--fuel']) {
      expect(r.stdout).toContain(flag);
    }
    for (const flag of ['--max-output', '--deterministic', '--invoke', '--json-call', '--policy', '--engine']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/125 +bad usage/);
    expect(r.stdout).toMatch(/134 +the guest trapped/);
  });
});
