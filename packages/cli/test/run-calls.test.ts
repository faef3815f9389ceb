import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliWith, expectHealthy, expectTrap, expectUsage, fixturePath, scratchDir, watToWasm } from './helpers.js';

const { dir: scratch, write } = scratchDir('portalis-run-calls-');
const fx = fixturePath;

describe('run-wasm --invoke', () => {
  let numbers: string;
  beforeAll(async () => {
    numbers = write(
      'numbers.wasm',
      await watToWasm(`(module
        (func (export "wide") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
        (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
        (func (export "narrow") (param f32) (result f32) (local.get 0))
        (func (export "pair") (param i32) (result i32 i64) (local.get 0) (i64.extend_i32_s (local.get 0)))
        (func (export "nothing")))`),
    );
  });

  it('calls an export with numeric arguments and prints each result on its own line', async () => {
    expect(await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '2', '3')).toMatchObject({
      code: 0,
      stdout: '5\n',
      stderr: '',
    });
    expect((await cli('run-wasm', fx('calc.wasm'), '--invoke', 'sub', '-1', '2')).stdout).toBe('-3\n');
    expect((await cli('run-wasm', fx('calc.wasm'), '--invoke', 'mul', '--', '-4', '0x10')).stdout).toBe('-64\n');
  });

  it('parses i64 as bigint, floats as numbers, and prints multiple results', async () => {
    expect((await cli('run-wasm', '--invoke', 'wide', numbers, '9007199254740993', '1')).stdout).toBe(
      '9007199254740994\n',
    );
    expect((await cli('run-wasm', '--invoke', 'half', numbers, '5')).stdout).toBe('2.5\n');
    expect((await cli('run-wasm', '--invoke', 'narrow', numbers, '0.5')).stdout).toBe('0.5\n');
    expect((await cli('run-wasm', '--invoke', 'pair', numbers, '-7')).stdout).toBe('-7\n-7\n');
    expect(await cli('run-wasm', '--invoke', 'nothing', numbers)).toMatchObject({ code: 0, stdout: '' });
  });

  it('--json shows return values, with i64 as decimal strings', async () => {
    const r = await cli('run-wasm', '--json', '--invoke', 'echo_packed', fx('guest-json.wasm'), '4096', '5');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: true, returnValue: [String((4096n << 32n) | 5n)] });
  });

  it('a trap in the function exits 134', async () => {
    const r = await cli('run-wasm', '--invoke', 'spin', '--fuel', '10000', fx('guest-loop.wasm'));
    expectTrap(r, 'error: out of fuel after 10000 units (raise --fuel)');
  });

  it('refuses an unknown export, a wrong count and a wrong type, naming what was expected', async () => {
    expectUsage(
      await cli('run-wasm', '--invoke', 'nope', fx('calc.wasm')),
      /calc\.wasm has no exported function 'nope' \(exported functions: add, sub, mul, div, calls\)/,
    );
    expectUsage(await cli('run-wasm', '--invoke', 'memory', fx('calc.wasm')), /no exported function 'memory'/);
    expectUsage(await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '1'), /add takes 2 \(i32 i32\), got 1/);
    expectUsage(await cli('run-wasm', '--invoke', 'calls', fx('calc.wasm'), '1'), /calls takes no arguments, got 1/);
    expectUsage(
      await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '1', 'x'),
      /argument 2 of add must be a 32-bit integer \(it is i32\), got 'x'/,
    );
    expectUsage(await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '1', '1.5'), /argument 2 of add/);
    expectUsage(await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '1', '4294967296'), /32-bit integer/);
    expectUsage(await cli('run-wasm', '--invoke', 'half', numbers, 'abc'), /argument 1 of half must be a number/);
  });

  it('a module without _start needs --invoke', async () => {
    expectUsage(await cli('run-wasm', fx('calc.wasm')), /not a WASI command .*--invoke NAME/);
  });
});

describe('run-wasm --json-call', () => {
  it('calls a plugin through the JSON protocol with inline JSON', async () => {
    const r = await cli('run-wasm', fx('plugin.wasm'), '--invoke', 'analyze', '--json-call', '{"a":"b"}');
    expect(r).toMatchObject({ code: 0, stdout: '{"bytes":9,"lines":1,"strings":2}\n', stderr: '' });
  });

  it('reads the JSON from @FILE, for both reply shapes', async () => {
    const input = { name: 'portalis', tags: ['wasm', 'json'], n: 3 };
    const file = write('input.json', JSON.stringify(input));
    for (const fn of ['echo', 'echo_packed']) {
      const r = await cli('run-wasm', fx('guest-json.wasm'), '--invoke', fn, '--json-call', `@${file}`);
      expect(r.code, fn).toBe(0);
      expect(JSON.parse(r.stdout), fn).toEqual(input);
    }
  });

  it('a guest that breaks the protocol or traps exits 134 with one line', async () => {
    for (const fn of ['bad_json', 'oob', 'trap']) {
      const r = await cli('run-wasm', fx('guest-json.wasm'), '--invoke', fn, '--json-call', '{}');
      expectTrap(r, /^error: /);
    }
    await expectHealthy();
  });

  it('refuses bad JSON, a missing file, a missing --invoke and extra arguments', async () => {
    expectUsage(
      await cli('run-wasm', fx('guest-json.wasm'), '--invoke', 'echo', '--json-call', '{nope'),
      /--json-call.*not valid JSON/,
    );
    expectUsage(
      await cli(
        'run-wasm',
        fx('guest-json.wasm'),
        '--invoke',
        'echo',
        '--json-call',
        `@${join(scratch, 'absent.json')}`,
      ),
      /cannot read .*absent\.json/,
    );
    expectUsage(await cli('run-wasm', fx('guest-json.wasm'), '--json-call', '{}'), /--json-call needs --invoke NAME/);
    expectUsage(
      await cli('run-wasm', fx('guest-json.wasm'), '--invoke', 'echo', '--json-call', '{}', 'extra'),
      /remove the extra arguments/,
    );
  });
});

describe('run-wasm --policy', () => {
  it('grants what the policy grants, and flags add to it', async () => {
    const dir = join(scratch, 'policy-data');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'p.txt'), 'from policy\n');
    const policy = write(
      'policy.yaml',
      `version: "1.0"
permissions:
  storage:
    allow:
      - uri: fs://./policy-data
        access: [read]
  environment:
    allow:
      - key: PORTALIS_POLICY_VAR
`,
    );
    process.env.PORTALIS_POLICY_VAR = 'granted';
    process.env.PORTALIS_FLAG_VAR = 'added';
    try {
      const read = await cli('run-wasm', '--policy', policy, fx('guest-fs.wasm'), 'read', 'p.txt');
      expect(read).toMatchObject({ code: 0, stdout: 'from policy\n' });
      const write_ = await cliWith(
        { stdin: 'x' },
        'run-wasm',
        '--policy',
        policy,
        fx('guest-fs.wasm'),
        'write',
        'w.txt',
      );
      expect([2, 63, 76]).toContain(write_.code);
      const env = await cli('run-wasm', '--policy', policy, '--env-allow', 'PORTALIS_FLAG_VAR', fx('guest-echo.wasm'));
      expect(env.stdout).toContain('PORTALIS_POLICY_VAR=granted\n');
      expect(env.stdout).toContain('PORTALIS_FLAG_VAR=added\n');
    } finally {
      delete process.env.PORTALIS_POLICY_VAR;
      delete process.env.PORTALIS_FLAG_VAR;
    }
  });

  it('the policy memory limit applies, and --max-memory wins over it', async () => {
    const policy = write('mem.yaml', 'permissions:\n  resources:\n    limits:\n      memory: 1Mi\n');
    const capped = JSON.parse((await cli('run-wasm', '--json', '--policy', policy, fx('guest-grow.wasm'))).stdout);
    expect(capped.memoryUsedBytes).toBeLessThanOrEqual(1024 * 1024);
    const raised = JSON.parse(
      (await cli('run-wasm', '--json', '--policy', policy, '--max-memory', '3', fx('guest-grow.wasm'))).stdout,
    );
    expect(raised.memoryUsedBytes).toBeGreaterThan(1024 * 1024);
    expect(raised.memoryUsedBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
  });

  it('a bad or missing policy is a usage error naming the field', async () => {
    const bad = write(
      'bad.yaml',
      'permissions:\n  storage:\n    allow:\n      - uri: fs:///x\n        access: [execute]\n',
    );
    expectUsage(
      await cli('run-wasm', '--policy', bad, fx('hello-wasi.wasm')),
      /permissions\.storage\.allow\[0\]\.access/,
    );
    expectUsage(await cli('run-wasm', '--policy', write('bad2.yaml', ': : :\n  - ['), fx('hello-wasi.wasm')), /YAML/);
    expectUsage(
      await cli('run-wasm', '--policy', join(scratch, 'nope.yaml'), fx('hello-wasi.wasm')),
      /cannot read the policy/,
    );
  });
});

describe('run-wasm: bad input exits 125 with one clear line', () => {
  it('a missing file, a directory, an invalid module, a module that needs a host', async () => {
    expectUsage(await cli('run-wasm', join(scratch, 'absent.wasm')), /no such file: .*absent\.wasm/);
    expectUsage(await cli('run-wasm', scratch), /is not a file/);
    const garbage = write('garbage.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a, 0xff, 0xff]));
    expectUsage(await cli('run-wasm', garbage), /^error: /);
    expectUsage(await cli('run-wasm', write('notes.wasm', 'hello')), /^error: /);
    expectUsage(await cli('run-wasm', fx('host-imports.wasm')), /env/);
  });

  it('bad flag values', async () => {
    const file = write('plain.txt', 'x');
    const h = fx('hello-wasi.wasm');
    const cases: [string[], RegExp][] = [
      [['--dir', file], /--dir .*is not a directory/],
      [['--dir', join(scratch, 'nowhere')], /no such directory/],
      [['--dir', '::/data'], /expected HOST\[::GUEST\]/],
      [['--max-memory', 'abc'], /--max-memory .*expected a size in MiB/],
      [['--max-memory', '0'], /--max-memory/],
      [['--fuel', '-1'], /--fuel .*'-1'.*expected a whole number/],
      [['--fuel', '1.5'], /--fuel/],
      [['--timeout', 'soon'], /--timeout .*expected a number of seconds/],
      [['--timeout', '0'], /--timeout/],
      [['--max-output', 'lots'], /--max-output .*expected a size/],
      [['--env', 'NOEQUALS'], /--env .*expected KEY=VALUE/],
      [['--env', '=value'], /expected KEY=VALUE/],
      [['--env-allow', 'BAD-NAME'], /--env-allow .*glob such as APP_\*/],
      [['--engine', 'v8'], /--engine.*js, wasmtime, auto/],
      [['--isolation', 'process'], /--isolation/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
    ];
    for (const [flags, pattern] of cases) expectUsage(await cli('run-wasm', ...flags, h), pattern);
    expectUsage(await cli('run-wasm'), /missing required argument 'FILE'/);
    expectUsage(await cli('run-wasm', '--invoke', 'add', fx('calc.wasm'), '--env', 'A=b', '1', '2'), /--env/);
  });
});
