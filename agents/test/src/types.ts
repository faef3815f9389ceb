import type { TrapCode } from '@portalis/wassette-bridge';

/** Per-test limits; a test's own value wins over the spec's `defaults.limits`. */
export interface TestLimits {
  /** Wall-clock budget of one run, in milliseconds (default 10,000): reaching it fails the test with `timeout`. */
  timeoutMs?: number;
  /** Instruction budget of one run (default: none): running out fails the test with `out-of-fuel`. */
  fuel?: number;
  /** Bytes of stdout plus stderr (default: the client's): one more fails the test with `output-limit`. */
  maxOutputBytes?: number;
  /** Linear memory cap in bytes (default: the client's): `memory.grow` past it returns -1. */
  maxMemoryBytes?: number;
}

/** Expected text: exactly this string, a substring, or a regular expression (JavaScript syntax). */
export type TextExpectation = string | { contains: string } | { matches: string };

/** A wasm number in a spec: a JSON number, or a string for values JSON cannot hold (`"NaN"`, `"-Infinity"`, an i64 beyond 2^53). */
export type SpecNumber = number | string;

interface CaseCommon {
  /** Unique within the spec; the name in the report and in JUnit. */
  name: string;
  limits?: TestLimits;
  /** Files written into the test's scratch directory (granted read-write at `/tmp`): relative path -> UTF-8 content. */
  files?: Record<string, string>;
}

/** Runs the artifact's `_start` as a WASI command. */
export interface CommandTestSpec extends CaseCommon {
  args?: string[];
  /** Variables set for the guest, on top of the spec's `defaults.env`. Any name is allowed here. */
  env?: Record<string, string>;
  stdin?: string;
  expect?: {
    stdout?: TextExpectation;
    stderr?: TextExpectation;
    /** Default 0, unless `trap` is expected. */
    exitCode?: number;
    /** Files in the scratch directory after the run: relative path -> expected content. */
    files?: Record<string, TextExpectation>;
    /** The run must stop with this trap or limit code. */
    trap?: TrapCode;
  };
}

/** Calls an export through the JSON plugin protocol (`alloc` + `name(ptr, len) -> (ptr, len)`). */
export interface JsonTestSpec extends CaseCommon {
  json: { name: string; input: unknown; allocExport?: string };
  expect?: {
    /** Deep-equal to the parsed reply (object key order does not matter). */
    output?: unknown;
    trap?: TrapCode;
  };
}

/** Calls an exported function with numeric arguments. */
export interface InvokeTestSpec extends CaseCommon {
  invoke: { name: string; args?: SpecNumber[] };
  expect?: {
    /** The function's results, in order (a single value stands for a one-element list). */
    returns?: SpecNumber | SpecNumber[];
    trap?: TrapCode;
  };
}

export type TestCaseSpec = CommandTestSpec | JsonTestSpec | InvokeTestSpec;

/** A declarative test spec, as written in YAML or JSON. */
export interface TestSpec {
  defaults?: {
    limits?: TestLimits;
    /** Variables set for every command test. */
    env?: Record<string, string>;
    /** Fixed clocks and seeded randomness, so that runs replay byte for byte (default true). */
    deterministic?: boolean;
  };
  /** Also run the artifact's `test_*` exports (default true). */
  exportTests?: boolean;
  tests?: TestCaseSpec[];
}

/** What kind of test produced a result: a spec test by its request kind, or a `test_*` export. */
export type TestCaseKind = 'command' | 'json' | 'invoke' | 'export' | 'load';

/**
 * Why a test did not pass: an expectation that did not hold (`mismatch`), a trap or a limit
 * (`trap`, `limit`), a test the bridge refused to run (`invalid-test`: an unknown export, wrong
 * arguments), an artifact that did not load (`load`), or a host-side failure (`host`: the
 * scratch directory could not be made, say).
 */
export type TestFailureReason = 'mismatch' | 'trap' | 'limit' | 'invalid-test' | 'load' | 'host';

export interface TestCaseResult {
  name: string;
  /** `failed`: the test ran and did not pass (mismatch, trap or limit); `error`: it could not run. */
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  /** Why it failed, in one line; absent when it passed. */
  message?: string;
  kind?: TestCaseKind;
  reason?: TestFailureReason;
  /** The trap or limit code, when the run stopped with one. */
  trap?: TrapCode;
}

export interface TestSummary {
  /** The artifact's path as given, or the `name` option for bytes. */
  artifact: string;
  total: number;
  passed: number;
  failed: number;
  errored: number;
  durationMs: number;
  /** In declaration order: the spec's tests, then the `test_*` exports in export order. */
  results: TestCaseResult[];
}

/** Progress of a run, in the order things happen (starts and results interleave when tests run in parallel). */
export type TestEvent =
  | { type: 'start'; name: string; kind: TestCaseKind }
  | { type: 'result'; result: TestCaseResult };
