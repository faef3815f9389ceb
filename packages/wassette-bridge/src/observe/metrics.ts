import { Counter, Histogram, type Metric, type Registry, register } from 'prom-client';
import type { EngineName } from '../engines/select.js';
import { BridgeError } from '../errors.js';
import type { ExecutionOutcome } from './audit.js';

/** Validation takes from tens of microseconds (a tiny module) to seconds (a large component). */
export const VALIDATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** From a 50 us function call to the 60 s a generous timeout allows. */
export const EXECUTION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const ENGINES: readonly EngineName[] = ['js', 'wasmtime'];
const OUTCOMES: readonly ExecutionOutcome[] = ['success', 'exit', 'trap', 'limit', 'error'];

type MetricClass<M> = abstract new (...args: never[]) => M;

/**
 * The metric already in the registry under `name` (another copy of the bridge registered it), or a
 * new one. A metric of another type under the same name is a clear error rather than prom-client's.
 */
function metricIn<M extends Metric<string>>(registry: Registry, name: string, kind: MetricClass<M>, make: () => M): M {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return make();
  if (found instanceof kind) return found;
  throw new BridgeError(
    'invalid-input',
    `the metric ${name} is already registered in this registry as another type; use a separate prom-client Registry for the bridge`,
    { details: { metric: name } },
  );
}

/**
 * The bridge's Prometheus metrics in one registry. Use `BridgeMetrics.for(registry)`: it returns one
 * instance per registry, so that several clients sharing prom-client's default registry count into
 * the same metrics instead of failing to register them twice.
 */
export class BridgeMetrics {
  static readonly #instances = new WeakMap<Registry, BridgeMetrics>();

  readonly registry: Registry;
  readonly #validations: Counter<'result'>;
  readonly #executions: Counter<'engine' | 'outcome'>;
  readonly #validationDuration: Histogram;
  readonly #executionDuration: Histogram<'engine'>;
  readonly #executionSeries = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  /** The metrics of `registry` (default: prom-client's global `register`), created on first use. */
  static for(registry: Registry = register): BridgeMetrics {
    let metrics = BridgeMetrics.#instances.get(registry);
    if (metrics === undefined) {
      metrics = new BridgeMetrics(registry);
      BridgeMetrics.#instances.set(registry, metrics);
    }
    return metrics;
  }

  private constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.#validations = metricIn(
      registry,
      'portalis_wassette_validations_total',
      Counter,
      () =>
        new Counter({
          name: 'portalis_wassette_validations_total',
          help: 'Binaries validated, by result (valid or invalid).',
          labelNames: ['result'],
          registers,
        }),
    );
    this.#executions = metricIn(
      registry,
      'portalis_wassette_executions_total',
      Counter,
      () =>
        new Counter({
          name: 'portalis_wassette_executions_total',
          help: 'Executions finished, by engine and outcome (success, exit, trap, limit, error).',
          labelNames: ['engine', 'outcome'],
          registers,
        }),
    );
    this.#validationDuration = metricIn(
      registry,
      'portalis_wassette_validation_duration_seconds',
      Histogram,
      () =>
        new Histogram({
          name: 'portalis_wassette_validation_duration_seconds',
          help: 'Time to validate one binary, in seconds.',
          buckets: [...VALIDATION_BUCKETS],
          registers,
        }),
    );
    this.#executionDuration = metricIn(
      registry,
      'portalis_wassette_execution_duration_seconds',
      Histogram,
      () =>
        new Histogram({
          name: 'portalis_wassette_execution_duration_seconds',
          help: 'Time of one execute call, in seconds, by engine.',
          labelNames: ['engine'],
          buckets: [...EXECUTION_BUCKETS],
          registers,
        }),
    );
    // Series that exist from the start at 0, so that rate() and absent() behave before the first event.
    this.#validations.inc({ result: 'valid' }, 0);
    this.#validations.inc({ result: 'invalid' }, 0);
    for (const engine of ENGINES) for (const outcome of OUTCOMES) this.#executions.inc({ engine, outcome }, 0);
  }

  recordValidation(seconds: number, valid: boolean): void {
    this.#validations.inc({ result: valid ? 'valid' : 'invalid' });
    if (Number.isFinite(seconds)) this.#validationDuration.observe(Math.max(0, seconds));
  }

  recordExecution(seconds: number, engine: EngineName, outcome: ExecutionOutcome): void {
    // Executions can run tens of thousands of times a second: resolve each label set once.
    const key = `${engine}\0${outcome}`;
    let series = this.#executionSeries.get(key);
    if (!series) {
      series = {
        count: this.#executions.labels({ engine, outcome }),
        duration: this.#executionDuration.labels({ engine }),
      };
      this.#executionSeries.set(key, series);
    }
    series.count.inc();
    if (Number.isFinite(seconds)) series.duration.observe(Math.max(0, seconds));
  }
}
