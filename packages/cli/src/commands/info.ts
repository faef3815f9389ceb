import type { WassetteClient } from '@portalis/wassette-bridge';
import { formatInfo } from '../format.js';
import type { CliIo } from '../io.js';
import { ExitCode } from '../io.js';

export async function infoCommand(
  client: WassetteClient,
  file: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  const report = await client.validate(file);
  if (opts.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return report.isValid ? ExitCode.ok : ExitCode.failed;
  }
  if (!report.metadata) {
    for (const e of report.errors) io.stderr(`portalis wasm-info: ${file}: ${e.message}\n`);
    return ExitCode.failed;
  }
  io.stdout(formatInfo(report, file));
  return report.isValid ? ExitCode.ok : ExitCode.failed;
}
