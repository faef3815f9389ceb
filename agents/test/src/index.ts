/**
 * @portalis/agent-test: runs the tests of a wasm artifact inside the Portalis sandbox.
 *
 * Core concepts:
 * - `TestSpec`: declarative tests in YAML or JSON (a WASI command with args, env, stdin and files
 *   and its expected stdout, stderr and exit code; a JSON call and its expected output; a function
 *   call and its expected results). `loadTestSpec` / `parseTestSpec` check it and throw
 *   `TestSpecError` naming the file and the field path of every problem.
 * - `TestAgent`: runs a spec and the artifact's `test_*` exports, each on a fresh instance with the
 *   testing preset (own scratch directory at `/tmp`, `TEST_*` host variables only) and its own
 *   limits, several at once up to a concurrency limit; returns a `TestSummary`.
 * - `toJUnitXml`: the summaries as JUnit XML for CI.
 */
export type { TestAgentOptions, TestRunOptions } from './agent.js';
export { TestAgent, TestAgentError } from './agent.js';
export { escapeXmlAttribute, escapeXmlText, toJUnitXml } from './junit.js';
export { createLimiter } from './limiter.js';
export { DEFAULT_TIMEOUT_MS } from './run-case.js';
export type { SpecIssue } from './spec.js';
export { loadTestSpec, parseTestSpec, TestSpecError, TRAP_CODES, validateTestSpec } from './spec.js';
export type {
  CommandTestSpec,
  InvokeTestSpec,
  JsonTestSpec,
  SpecNumber,
  TestCaseKind,
  TestCaseResult,
  TestCaseSpec,
  TestEvent,
  TestFailureReason,
  TestLimits,
  TestSpec,
  TestSummary,
  TextExpectation,
} from './types.js';
