import { readFile } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import { TRAP_CODES } from '@portalis/wassette-bridge';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { TestCaseSpec, TestSpec } from './types.js';

/** Every trap and limit code the bridge reports; a spec may expect any of them. */
export { TRAP_CODES };

export interface SpecIssue {
  /** Field path such as `tests[2].expect.stdout`; `(top level)` for the document itself. */
  path: string;
  message: string;
}

/** A spec that cannot be used: unreadable, not YAML/JSON, or with fields that are unknown or wrong. */
export class TestSpecError extends Error {
  override readonly name = 'TestSpecError';
  readonly code: 'unreadable' | 'syntax' | 'invalid';
  /** Where the spec came from: its path, or `<spec>` for an object. */
  readonly source: string;
  readonly issues: readonly SpecIssue[];

  constructor(code: TestSpecError['code'], source: string, message: string, issues: readonly SpecIssue[] = []) {
    super(`${source}: ${message}`);
    this.code = code;
    this.source = source;
    this.issues = issues;
  }
}

const count = z.number().int().positive();
const limitsSchema = z.strictObject({
  timeoutMs: count.optional(),
  fuel: count.optional(),
  maxOutputBytes: count.optional(),
  maxMemoryBytes: count.optional(),
});
const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name (letters, digits and _)'),
  z.string({ error: 'must be a string (quote numbers and booleans in YAML)' }),
);

/** A relative path that stays inside the scratch directory. */
const scratchPath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !isAbsolute(p) && !p.startsWith('/') && !p.includes('\\'), 'must be a relative path with / separators')
  .refine(
    (p) => !posix.normalize(p).startsWith('../') && posix.normalize(p) !== '..',
    'must stay inside the scratch directory (no ..)',
  );
const filesSchema = z.record(scratchPath, z.string({ error: 'must be the file content as a string' }));

const textExpectation = z
  .union([z.string(), z.strictObject({ contains: z.string() }), z.strictObject({ matches: z.string() })], {
    error: 'must be a string (exact), {contains: TEXT} or {matches: REGEX}',
  })
  .superRefine((v, ctx) => {
    if (typeof v === 'object' && 'matches' in v) {
      try {
        new RegExp(v.matches);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          path: ['matches'],
          message: `not a valid regular expression: ${(e as Error).message}`,
        });
      }
    }
  });

const specNumber = z.union([z.number(), z.string().regex(/^(-?\d+|NaN|-?Infinity)$/)], {
  error: 'must be a number, or a string holding an integer, NaN, Infinity or -Infinity',
});
const trapCode = z.enum(TRAP_CODES, { error: `must be a trap code: ${TRAP_CODES.join(', ')}` });
const name = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty');

const common = { name, limits: limitsSchema.optional(), files: filesSchema.optional() };

const commandCase = z.strictObject({
  ...common,
  args: z.array(z.string({ error: 'must be a string (quote numbers in YAML)' })).optional(),
  env: envSchema.optional(),
  stdin: z.string().optional(),
  expect: z
    .strictObject({
      stdout: textExpectation.optional(),
      stderr: textExpectation.optional(),
      exitCode: z.number().int().min(0).optional(),
      files: z.record(scratchPath, textExpectation).optional(),
      trap: trapCode.optional(),
    })
    .optional(),
});

const jsonCase = z.strictObject({
  ...common,
  json: z.strictObject({ name: z.string().min(1), input: z.unknown(), allocExport: z.string().min(1).optional() }),
  expect: z.strictObject({ output: z.unknown().optional(), trap: trapCode.optional() }).optional(),
});

const invokeCase = z.strictObject({
  ...common,
  invoke: z.strictObject({ name: z.string().min(1), args: z.array(specNumber).optional() }),
  expect: z
    .strictObject({ returns: z.union([specNumber, z.array(specNumber)]).optional(), trap: trapCode.optional() })
    .optional(),
});

const specSchema = z.strictObject({
  defaults: z
    .strictObject({
      limits: limitsSchema.optional(),
      env: envSchema.optional(),
      deterministic: z.boolean().optional(),
    })
    .optional(),
  exportTests: z.boolean().optional(),
  tests: z.array(z.unknown()).optional(),
});

type Path = readonly PropertyKey[];

/** `tests[2].expect.stdout`; keys that are not plain names are quoted: `files["../x.txt"]`. */
function fieldPath(path: Path): string {
  const text = path.reduce<string>((acc, p) => {
    if (typeof p === 'number') return `${acc}[${p}]`;
    const key = String(p);
    if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${acc}[${JSON.stringify(key)}]`;
    return acc ? `${acc}.${key}` : key;
  }, '');
  return text || '(top level)';
}

function issuesOf(error: z.ZodError, prefix: Path): SpecIssue[] {
  return error.issues.flatMap((issue): SpecIssue[] => {
    const at = (...more: PropertyKey[]) => fieldPath([...prefix, ...issue.path, ...more]);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: at(key), message: 'unknown field' }));
    // A bad record key (a file path, a variable name): the key's own rule says what is wrong.
    if (issue.code === 'invalid_key') return [{ path: at(), message: issue.issues[0]?.message ?? issue.message }];
    return [{ path: at(), message: issue.message }];
  });
}

function testSchemaFor(test: unknown): typeof commandCase | typeof jsonCase | typeof invokeCase | string {
  if (typeof test !== 'object' || test === null || Array.isArray(test)) return 'must be an object with a name';
  const has = (k: string) => Object.hasOwn(test, k);
  if (has('json') && has('invoke'))
    return 'has both json and invoke; a test is one command, one JSON call or one invoke';
  if (has('json')) return jsonCase;
  if (has('invoke')) return invokeCase;
  return commandCase;
}

/** Checks a spec given as data (parsed YAML/JSON or a `TestSpec` object); throws `TestSpecError` listing every problem. */
export function validateTestSpec(data: unknown, source = '<spec>'): TestSpec {
  const top = specSchema.safeParse(data ?? {});
  const issues: SpecIssue[] = top.success ? [] : issuesOf(top.error, []);
  const tests: TestCaseSpec[] = [];
  const seen = new Map<string, number>();
  // The tests are checked even when the top level has problems, so that one run lists them all.
  const rawTests = (data as { tests?: unknown } | null)?.tests;
  (Array.isArray(rawTests) ? rawTests : []).forEach((raw: unknown, i) => {
    const name = (raw as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      const first = seen.get(name.trim());
      if (first !== undefined)
        issues.push({
          path: fieldPath(['tests', i, 'name']),
          message: `duplicate test name "${name.trim()}" (also tests[${first}]); names must be unique`,
        });
      else seen.set(name.trim(), i);
    }
    const schema = testSchemaFor(raw);
    if (typeof schema === 'string') {
      issues.push({ path: fieldPath(['tests', i]), message: schema });
      return;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) tests.push(parsed.data as TestCaseSpec);
    else issues.push(...issuesOf(parsed.error, ['tests', i]));
  });
  if (!top.success || issues.length) throw invalid(source, issues);
  return { ...top.data, tests } as TestSpec;
}

function invalid(source: string, issues: SpecIssue[]): TestSpecError {
  const listed = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new TestSpecError('invalid', source, `invalid test spec: ${listed}`, issues);
}

/** Parses spec text (YAML, of which JSON is a subset); `source` names it in errors. */
export function parseTestSpec(text: string, source = '<spec>'): TestSpec {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}: ` : '';
    const first = error.message.split('\n')[0] ?? error.message;
    throw new TestSpecError(
      'syntax',
      source,
      `not valid YAML or JSON: ${where}${first.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return validateTestSpec(doc.toJS(), source);
}

/** Reads and checks a spec file (`.yaml`, `.yml` or `.json`). */
export async function loadTestSpec(path: string): Promise<TestSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a spec file'
          : (code ?? 'unreadable');
    throw new TestSpecError('unreadable', path, `cannot read the test spec: ${why}`);
  }
  return parseTestSpec(text, path);
}
