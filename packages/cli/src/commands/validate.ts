import type { ValidationReport, WassetteClient } from '@portalis/wassette-bridge';
import { formatValidation } from '../format.js';
import type { CliIo } from '../io.js';
import { ExitCode, UsageError } from '../io.js';

export interface ValidateCommandOptions {
  json?: boolean;
  sizeBudget?: number;
  maxBytes?: number;
  allowHostModule?: string[];
}

/** How many files are read and validated at once. */
const CONCURRENCY = 8;

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function validateCommand(
  client: WassetteClient,
  files: string[],
  opts: ValidateCommandOptions,
  io: CliIo,
): Promise<number> {
  if (files.length === 0) throw new UsageError('validate-wasm needs at least one FILE');
  const reports: ValidationReport[] = await mapLimited(files, CONCURRENCY, (f) =>
    client.validate(f, {
      ...(opts.sizeBudget === undefined ? {} : { sizeBudgetBytes: opts.sizeBudget }),
      ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
      ...(opts.allowHostModule ? { allowedHostModules: opts.allowHostModule } : {}),
    }),
  );
  const invalid = reports.filter((r) => !r.isValid).length;
  if (opts.json) {
    io.stdout(`${JSON.stringify(reports, null, 2)}\n`);
  } else {
    reports.forEach((r, i) => {
      io.stdout(formatValidation(r, i));
    });
    if (reports.length > 1)
      io.stdout(`${reports.length} files: ${reports.length - invalid} valid, ${invalid} invalid\n`);
  }
  return invalid === 0 ? ExitCode.ok : ExitCode.failed;
}
