import { createHash } from 'node:crypto';
import fs, { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Gauge, Registry, register } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeError, type TrapCode } from '../src/errors.js';
import type { ComponentHandle, ExecutionResult, ResourceLimits } from '../src/execute/types.js';
import { AuditLog, type AuditRecord, auditLine, auditRecord, executionOutcome } from '../src/observe/audit.js';
import { createLogger } from '../src/observe/log.js';
import { BridgeMetrics } from '../src/observe/metrics.js';
import { ComponentPermissions } from '../src/permissions.js';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const handle: ComponentHandle = {
  id: 'h1',
  name: 'hello.wasm',
  digest: 'ab'.repeat(32),
  engine: 'js',
  kind: 'core',
  maxMemoryBytes: 64 * 1024 * 1024,
  metered: true,
  fuel: 1_000_000,
  imports: [],
  exports: [],
  source: 'compile',
  loadTimeMs: 4,
};

const limits: ResourceLimits = {
  maxMemoryBytes: 64 * 1024 * 1024,
  maxExecutionTimeMs: 5000,
  fuel: 1_000_000,
  maxOutputBytes: 1024,
};

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    success: true,
    exitCode: 0,
    stdout: new TextEncoder().encode('guest output\n'),
    stderr: new Uint8Array(),
    outputBytes: 13,
    returnValue: undefined,
    executionTimeMs: 1.5,
    memoryUsedBytes: 131072,
    memoryGrowFailures: 0,
    fuelConsumed: 1234,
    trap: undefined,
    error: undefined,
    ...overrides,
  };
}

const failed = (trap: TrapCode | undefined, overrides: Partial<ExecutionResult> = {}) =>
  result({
    success: false,
    exitCode: undefined,
    trap,
    error: { kind: 'trap', ...(trap ? { code: trap } : {}), message: `failed: ${trap}`, details: {} },
    ...overrides,
  });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portalis-observe-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('auditRecord', () => {
  it('records every fact of a successful command', () => {
    const permissions = ComponentPermissions.forTesting('/scratch');
    const record = auditRecord({
      handle,
      request: { kind: 'command', args: ['a', 'b'], env: { SECRET: 'hunter2' }, stdin: 'private input' },
      result: result(),
      permissions,
      limits,
      isolation: 'worker',
      deterministic: false,
      totalMs: 9.25,
      time: new Date('2025-01-02T03:04:05.678Z'),
    });
    expect(record).toEqual({
      time: '2025-01-02T03:04:05.678Z',
      module: { name: 'hello.wasm', digest: 'ab'.repeat(32) },
      engine: 'js',
      request: { kind: 'command', entry: '_start', argCount: 2 },
      permissions: {
        allowFs: true,
        allowedPaths: [{ hostPath: '/scratch', guestPath: '/tmp', readOnly: false }],
        allowEnv: true,
        allowedEnvVars: ['TEST_*'],
        allowNetwork: false,
        allowedHosts: [],
      },
      limits,
      isolation: 'worker',
      deterministic: false,
      outcome: 'success',
      exitCode: 0,
      durations: { executionMs: 1.5, totalMs: 9.25 },
      fuelConsumed: 1234,
      memoryUsedBytes: 131072,
      memoryGrowFailures: 0,
      output: {
        stdoutBytes: 13,
        stderrBytes: 0,
        totalBytes: 13,
        stdoutSha256: sha256('guest output\n'),
        stderrSha256: EMPTY_SHA256,
      },
    } satisfies AuditRecord);
    expect(Object.isFrozen(record.permissions)).toBe(false);
    const line = auditLine(record);
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('private input');
    expect(line).not.toContain('guest output');
  });

  it('names the entry and counts arguments per request kind', () => {
    const base = {
      handle,
      result: result({ exitCode: undefined }),
      permissions: ComponentPermissions.none(),
      limits,
      isolation: 'in-thread' as const,
      deterministic: true,
      totalMs: 1,
    };
    expect(auditRecord({ ...base, request: { kind: 'command' } }).request).toEqual({
      kind: 'command',
      entry: '_start',
      argCount: 0,
    });
    expect(auditRecord({ ...base, request: { kind: 'function', name: 'add', args: [1, 2n] } }).request).toEqual({
      kind: 'function',
      entry: 'add',
      argCount: 2,
    });
    const json = auditRecord({ ...base, request: { kind: 'json', name: 'handle', input: { secret: 'x' } } });
    expect(json.request).toEqual({ kind: 'json', entry: 'handle' });
    expect(json).not.toHaveProperty('exitCode');
    expect(json.isolation).toBe('in-thread');
    expect(json.deterministic).toBe(true);
  });

  it('leaves out fuel, trap and error when there are none, and keeps the failure when there is one', () => {
    const common = {
      handle,
      request: { kind: 'command' as const },
      permissions: ComponentPermissions.none(),
      limits: { ...limits, fuel: undefined },
      isolation: 'worker' as const,
      deterministic: false,
      totalMs: 1,
    };
    const ok = auditRecord({ ...common, result: result({ fuelConsumed: undefined }) });
    expect(ok).not.toHaveProperty('fuelConsumed');
    expect(ok).not.toHaveProperty('trap');
    expect(ok).not.toHaveProperty('error');
    expect(JSON.parse(auditLine(ok)).limits).not.toHaveProperty('fuel');

    const trapped = auditRecord({ ...common, result: failed('unreachable') });
    expect(trapped.outcome).toBe('trap');
    expect(trapped.trap).toBe('unreachable');
    expect(trapped.error).toEqual({ kind: 'trap', message: 'failed: unreachable' });
  });

  it('digests exactly the captured bytes, and counts written bytes apart from captured ones', () => {
    const stdout = new Uint8Array(1024).map((_, i) => i % 251);
    const stderr = new Uint8Array([0xff, 0x00, 0x80]);
    const record = auditRecord({
      handle,
      request: { kind: 'command' },
      result: failed('output-limit', { stdout, stderr, outputBytes: 5000 }),
      permissions: ComponentPermissions.none(),
      limits,
      isolation: 'worker',
      deterministic: false,
      totalMs: 1,
    });
    expect(record.output).toEqual({
      stdoutBytes: 1024,
      stderrBytes: 3,
      totalBytes: 5000,
      stdoutSha256: sha256(stdout),
      stderrSha256: sha256(stderr),
    });
    expect(record.outcome).toBe('limit');
  });
});

describe('executionOutcome', () => {
  it('is success for a successful run', () => {
    expect(executionOutcome(result())).toBe('success');
  });

  it.each(['out-of-fuel', 'timeout', 'memory-limit', 'output-limit', 'stack-overflow'] as const)(
    'is limit for %s',
    (code) => {
      expect(executionOutcome(failed(code))).toBe('limit');
    },
  );

  it.each(['unreachable', 'integer-divide-by-zero', 'memory-out-of-bounds', 'cancelled', 'protocol-error'] as const)(
    'is trap for %s',
    (code) => {
      expect(executionOutcome(failed(code))).toBe('trap');
    },
  );

  it('is exit for a nonzero exit status without a trap', () => {
    expect(executionOutcome(result({ success: false, exitCode: 3 }))).toBe('exit');
    expect(
      executionOutcome(
        result({ success: false, exitCode: 1, error: { kind: 'trap', message: 'exit 1', details: {} } }),
      ),
    ).toBe('trap');
  });

  it('is error for a failure with neither a trap code nor an exit status', () => {
    expect(
      executionOutcome(failed(undefined, { error: { kind: 'link', message: 'unknown import env.f', details: {} } })),
    ).toBe('error');
    expect(executionOutcome(result({ success: false, exitCode: 0 }))).toBe('error');
  });

  it('reads the code from the error when the result carries none, and honours a limit-exceeded kind', () => {
    expect(
      executionOutcome(
        failed(undefined, { error: { kind: 'limit-exceeded', code: 'timeout', message: 't', details: {} } }),
      ),
    ).toBe('limit');
    expect(
      executionOutcome(failed(undefined, { error: { kind: 'limit-exceeded', message: 'too big', details: {} } })),
    ).toBe('limit');
  });
});

describe('AuditLog', () => {
  const record = (i: number): AuditRecord =>
    auditRecord({
      handle: { ...handle, name: `m${i}.wasm` },
      request: { kind: 'function', name: 'f', args: [i] },
      result: result({ exitCode: undefined }),
      permissions: ComponentPermissions.none(),
      limits,
      isolation: 'worker',
      deterministic: false,
      totalMs: i,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
    });

  it('creates missing directories and appends one JSON line per record', () => {
    const path = join(dir, 'a', 'b', 'audit.jsonl');
    const log = new AuditLog(path);
    expect(existsSync(path)).toBe(false);
    for (let i = 0; i < 5; i++) log.write(record(i));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    expect(lines.map((l) => JSON.parse(l).module.name)).toEqual([
      'm0.wasm',
      'm1.wasm',
      'm2.wasm',
      'm3.wasm',
      'm4.wasm',
    ]);
    expect(JSON.parse(lines[3] ?? '')).toEqual(record(3));
    log.close();
  });

  it('opens nothing until the first write, and appends after close and to an existing file', () => {
    const path = join(dir, 'audit.jsonl');
    writeFileSync(path, '{"earlier":true}\n');
    const log = new AuditLog(path);
    log.close();
    log.write(record(1));
    log.close();
    log.write(record(2));
    log.close();
    new AuditLog(path).write(record(3));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).durations?.totalMs)).toEqual([undefined, 1, 2, 3]);
  });

  it('writes bigint values as decimal strings', () => {
    const withBigint = { ...record(1), extra: 2n ** 64n } as AuditRecord;
    expect(JSON.parse(auditLine(withBigint)).extra).toBe('18446744073709551616');
  });

  it('fails with a clear invalid-input error when the path cannot be written', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a directory');
    const path = join(file, 'audit.jsonl');
    const log = new AuditLog(path);
    let error: unknown;
    try {
      log.write(record(1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).kind).toBe('invalid-input');
    expect((error as BridgeError).message).toContain(
      `cannot write the audit log ${path}: a parent of it is not a directory`,
    );
    expect((error as BridgeError).details).toMatchObject({ path });
    expect((error as BridgeError).cause).toBeInstanceOf(Error);
  });

  it('fails the same way when the path is a directory', () => {
    const log = new AuditLog(dir);
    expect(() => log.write(record(1))).toThrow(`cannot write the audit log ${dir}: it is a directory`);
  });
});

describe('BridgeMetrics', () => {
  async function values(registry: Registry, name: string) {
    const metric = registry.getSingleMetric(name);
    if (!metric) throw new Error(`${name} is not registered`);
    // Histograms name each value (`_bucket`, `_sum`, `_count`); the base Metric type does not say so.
    return (await metric.get()).values as Array<{
      value: number;
      labels: Record<string, string | number>;
      metricName?: string;
    }>;
  }

  it('counts validations by result and observes their duration', async () => {
    const registry = new Registry();
    const metrics = BridgeMetrics.for(registry);
    metrics.recordValidation(0.002, true);
    metrics.recordValidation(0.003, true);
    metrics.recordValidation(0.5, false);
    const text = await registry.getSingleMetricAsString('portalis_wassette_validations_total');
    expect(text).toContain('# TYPE portalis_wassette_validations_total counter');
    expect(text).toContain('portalis_wassette_validations_total{result="valid"} 2');
    expect(text).toContain('portalis_wassette_validations_total{result="invalid"} 1');
    const histogram = await values(registry, 'portalis_wassette_validation_duration_seconds');
    const count = histogram.find((v) => v.metricName === 'portalis_wassette_validation_duration_seconds_count');
    const sum = histogram.find((v) => v.metricName === 'portalis_wassette_validation_duration_seconds_sum');
    expect(count?.value).toBe(3);
    expect(sum?.value).toBeCloseTo(0.505);
    const le0005 = histogram.find((v) => v.labels.le === 0.005);
    expect(le0005?.value).toBe(2);
  });

  it('counts executions by engine and outcome and observes their duration by engine', async () => {
    const registry = new Registry();
    const metrics = BridgeMetrics.for(registry);
    metrics.recordExecution(0.00004, 'js', 'success');
    metrics.recordExecution(0.2, 'js', 'limit');
    metrics.recordExecution(45, 'wasmtime', 'trap');
    metrics.recordExecution(Number.NaN, 'js', 'error');
    const counts = await values(registry, 'portalis_wassette_executions_total');
    const count = (engine: string, outcome: string) =>
      counts.find((v) => v.labels.engine === engine && v.labels.outcome === outcome)?.value;
    expect(count('js', 'success')).toBe(1);
    expect(count('js', 'limit')).toBe(1);
    expect(count('js', 'error')).toBe(1);
    expect(count('wasmtime', 'trap')).toBe(1);
    expect(count('js', 'exit')).toBe(0);
    expect(count('wasmtime', 'success')).toBe(0);

    const text = await registry.getSingleMetricAsString('portalis_wassette_execution_duration_seconds');
    expect(text).toContain('# TYPE portalis_wassette_execution_duration_seconds histogram');
    expect(text).toContain('portalis_wassette_execution_duration_seconds_bucket{le="0.00005",engine="js"} 1');
    expect(text).toContain('portalis_wassette_execution_duration_seconds_bucket{le="0.25",engine="js"} 2');
    expect(text).toContain('portalis_wassette_execution_duration_seconds_bucket{le="30",engine="wasmtime"} 0');
    expect(text).toContain('portalis_wassette_execution_duration_seconds_bucket{le="60",engine="wasmtime"} 1');
    expect(text).toContain('portalis_wassette_execution_duration_seconds_count{engine="js"} 2');
  });

  it('starts every counter series at zero', async () => {
    const registry = new Registry();
    BridgeMetrics.for(registry);
    const text = await registry.metrics();
    expect(text).toContain('portalis_wassette_validations_total{result="valid"} 0');
    expect(text).toContain('portalis_wassette_executions_total{engine="wasmtime",outcome="limit"} 0');
  });

  it('keeps one instance per registry, and registries apart', async () => {
    const a = new Registry();
    const b = new Registry();
    expect(BridgeMetrics.for(a)).toBe(BridgeMetrics.for(a));
    expect(BridgeMetrics.for(a)).not.toBe(BridgeMetrics.for(b));
    expect(BridgeMetrics.for(a).registry).toBe(a);
    expect(BridgeMetrics.for()).toBe(BridgeMetrics.for(register));
    expect(BridgeMetrics.for().registry).toBe(register);
    BridgeMetrics.for(a).recordValidation(0.001, false);
    expect(await a.getSingleMetricAsString('portalis_wassette_validations_total')).toContain('{result="invalid"} 1');
    expect(await b.getSingleMetricAsString('portalis_wassette_validations_total')).toContain('{result="invalid"} 0');
  });

  it('rejects a registry where the name already belongs to a metric of another type', () => {
    const registry = new Registry();
    new Gauge({ name: 'portalis_wassette_validations_total', help: 'x', registers: [registry] });
    expect(() => BridgeMetrics.for(registry)).toThrow(BridgeError);
  });
});

describe('createLogger', () => {
  const streamOf = (logger: pino.Logger) =>
    (logger as unknown as Record<symbol, { fd?: number }>)[pino.symbols.streamSym];
  const readLines = (path: string) =>
    readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('is silent when off, and points at stderr even then', () => {
    for (const option of [undefined, false] as const) {
      const logger = createLogger(option);
      expect(logger.level).toBe('silent');
      expect(logger.isLevelEnabled('fatal')).toBe(false);
      expect(streamOf(logger)?.fd).toBe(2);
    }
    // sonic-boom writes a sync destination with fs.writeSync, so a spy there sees every byte.
    const writes = vi.spyOn(fs, 'writeSync');
    try {
      const logger = createLogger(undefined);
      logger.fatal({ outcome: 'trap' }, 'fatal');
      logger.error('error');
      logger.info('info');
      expect(writes).not.toHaveBeenCalled();
    } finally {
      writes.mockRestore();
    }
  });

  it('logs info and above to stderr when on', () => {
    const logger = createLogger(true);
    expect(logger.level).toBe('info');
    expect(logger.isLevelEnabled('debug')).toBe(false);
    expect(streamOf(logger)?.fd).toBe(2);
    const writes = vi.spyOn(fs, 'writeSync').mockImplementation((_fd, data) => String(data).length);
    try {
      logger.debug('dropped');
      logger.info({ outcome: 'success' }, 'executed');
      expect(writes).toHaveBeenCalledTimes(1);
      expect(writes.mock.calls[0]?.[0]).toBe(2);
      expect(JSON.parse(String(writes.mock.calls[0]?.[1]))).toMatchObject({ level: 30, msg: 'executed' });
    } finally {
      writes.mockRestore();
    }
  });

  it('writes JSON lines to a file destination at the chosen level, creating its directory', () => {
    const path = join(dir, 'logs', 'bridge.log');
    const logger = createLogger({ level: 'debug', destination: path });
    logger.trace('not written');
    logger.debug({ module: 'a.wasm' }, 'loaded');
    logger.info({ outcome: 'success' }, 'executed');
    const lines = readLines(path);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 20, component: 'wassette-bridge', module: 'a.wasm', msg: 'loaded' });
    expect(lines[1]).toMatchObject({ level: 30, outcome: 'success', msg: 'executed' });
  });

  it('censors env and stdin wherever a request is logged whole', () => {
    const path = join(dir, 'bridge.log');
    const logger = createLogger({ destination: path });
    logger.info({ env: { TOKEN: 'hunter2' }, request: { kind: 'command', stdin: 'private', env: { A: 'b1' } } }, 'run');
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('private');
    expect(text).not.toContain('b1');
    expect(JSON.parse(text).request).toEqual({ kind: 'command', stdin: '[redacted]', env: '[redacted]' });
  });

  it('logs through a given pino logger as a child, with the same censoring', () => {
    const path = join(dir, 'app.log');
    const app = pino({ level: 'warn' }, pino.destination({ dest: path, sync: true }));
    const logger = createLogger(app);
    logger.info('below the app level');
    logger.warn({ stdin: 'private' }, 'careful');
    const lines = readLines(path);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, component: 'wassette-bridge', stdin: '[redacted]', msg: 'careful' });
  });

  it('fails with invalid-input when the log file cannot be opened', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    expect(() => createLogger({ destination: join(file, 'x.log') })).toThrow(/cannot open the log file/);
  });
});
