import type { PackageVerification, VerifyCheck } from '@portalis/agent-packaging';
import { generateKeyPair, isPackagingError, PackagingAgent, verifyPackage } from '@portalis/agent-packaging';
import type { Command } from 'commander';
import { formatBytes } from '../format.js';
import type { CliIo } from '../io.js';
import { ExitCode } from '../io.js';

interface PackageFlags {
  manifest?: string;
  key?: string;
  out: string;
  optimize?: boolean;
  json?: boolean;
}

interface VerifyFlags {
  pubkey?: string;
  json?: boolean;
}

/** One line per check: `ok` or `FAIL` (`SKIP` when it could not run), its name, its message. */
export function formatChecks(checks: readonly VerifyCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => `${(c.ok ? 'ok' : c.skipped ? 'SKIP' : 'FAIL').padEnd(6)}${c.name.padEnd(width + 2)}${c.message}\n`)
    .join('');
}

/**
 * Turns the agent's input errors into `portalis: ...` and an exit code: a refused overwrite is a
 * failure the command reports (1), every other one is bad input (2). Anything else is rethrown.
 */
function reportError(e: unknown, io: CliIo): number {
  if (!isPackagingError(e)) throw e;
  io.stderr(`portalis: ${e.message}\n`);
  return e.code === 'key-exists' || e.code === 'verify-failed' ? ExitCode.failed : ExitCode.usage;
}

const NOT_PINNED =
  'key not pinned: the signature was checked with the public key recorded in the package, which proves the files are intact but not who signed them; pass --pubkey PREFIX.pub to check the signer';

function formatVerification(v: PackageVerification): string {
  const lines: string[] = [];
  if (v.ok) {
    const m = v.manifest!;
    lines.push(
      `ok  ${v.dir}: ${m.name} ${m.version}, module.wasm ${formatBytes(m.size)} sha256 ${m.sha256.slice(0, 16)}…`,
    );
    lines.push(`    signed by ${v.keyId}${v.pinned ? ' (the --pubkey key)' : ''}`);
  } else {
    lines.push(`FAILED  ${v.dir}: ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}`);
    for (const p of v.problems) lines.push(`${p.code}: ${p.message}`);
  }
  if (!v.pinned) lines.push(`note: ${NOT_PINNED}`);
  return `${lines.join('\n')}\n`;
}

async function packageCommand(artifact: string, flags: PackageFlags, io: CliIo): Promise<number> {
  const missing = [!flags.manifest && '--manifest FILE', !flags.key && '--key PREFIX.key'].filter(Boolean);
  if (missing.length) {
    io.stderr(`portalis: package needs ${missing.join(' and ')} (run portalis package --help for usage)\n`);
    return ExitCode.usage;
  }
  const agent = new PackagingAgent();
  try {
    const result = await agent.package(artifact, flags.manifest!, {
      keyFile: flags.key!,
      outDir: flags.out,
      optimize: Boolean(flags.optimize),
    });
    if (flags.json) {
      io.stdout(
        `${JSON.stringify({ ok: true, dir: result.dir, checks: result.report.checks, manifest: result.manifest }, null, 2)}\n`,
      );
    } else {
      const m = result.manifest;
      io.stdout(formatChecks(result.report.checks));
      io.stdout(
        `packaged ${m.name} ${m.version} in ${result.dir}\n` +
          `  module.wasm  ${formatBytes(m.size)} (gzip ${formatBytes(m.gzipSize)}), sha256 ${m.sha256}\n` +
          `  signed by    ${result.keyId}\n`,
      );
    }
    return ExitCode.ok;
  } catch (e) {
    if (isPackagingError(e) && e.code === 'verify-failed' && e.report) {
      if (flags.json)
        io.stdout(`${JSON.stringify({ ok: false, error: e.message, checks: e.report.checks }, null, 2)}\n`);
      else io.stdout(formatChecks(e.report.checks));
    }
    return reportError(e, io);
  }
}

async function verifyCommand(dir: string, flags: VerifyFlags, io: CliIo): Promise<number> {
  try {
    const v = await verifyPackage(dir, flags.pubkey ? { pubkeyFile: flags.pubkey } : {});
    io.stdout(flags.json ? `${JSON.stringify(v, null, 2)}\n` : formatVerification(v));
    return v.ok ? ExitCode.ok : ExitCode.failed;
  } catch (e) {
    return reportError(e, io);
  }
}

const PACKAGE_HELP = `
Checks: valid, exports, imports (forbidden), capabilities (needed vs declared), size and
gzip-size budgets (300 KiB / 120 KiB unless the manifest's budget says otherwise), convention,
and optimize with --optimize. Nothing is written unless every check passes.

Writes OUT/<name>-<version>/ with module.wasm, manifest.json and manifest.sig (ed25519).

Exit status: 0 packaged, 1 a check failed, 2 bad usage or input (missing file, bad manifest, bad key).

Examples:
  portalis keygen -o keys/release
  portalis package calc.wasm --manifest calc.yaml --key keys/release.key -o dist/packages
  portalis package verify dist/packages/calc-1.0.0 --pubkey keys/release.pub
`;

/** Registers `keygen`, `package ARTIFACT` and `package verify DIR`; `setExit` receives the exit code. */
export function registerPackagingCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('keygen')
    .description('Create an ed25519 key pair for signing packages: PREFIX.key (private, mode 0600) and PREFIX.pub.')
    .requiredOption('-o, --out <PREFIX>', 'where to write the key pair (PREFIX.key and PREFIX.pub)')
    .option('--force', 'replace an existing key pair')
    .action(async (flags: { out: string; force?: boolean }) => {
      try {
        const keys = await generateKeyPair(flags.out, { force: Boolean(flags.force) });
        io.stdout(
          `wrote ${keys.keyFile} (private key, mode 0600: keep it secret)\n` +
            `wrote ${keys.pubFile} (public key: give it to whoever verifies your packages)\n` +
            `key id ${keys.keyId}\n`,
        );
        setExit(ExitCode.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });

  // `package verify DIR` is a subcommand; any other first argument is the ARTIFACT of the default action.
  const pkg = program
    .command('package')
    .description('Verify a wasm artifact against its manifest and write a signed package (or: package verify DIR).')
    .argument('<ARTIFACT>', 'the .wasm file to package')
    .option('--manifest <FILE>', 'the package manifest (YAML or JSON)')
    .option('--key <FILE>', 'the private key that signs (PREFIX.key from portalis keygen)')
    .option('-o, --out <DIR>', 'where the package directory is created', '.')
    .option('--optimize', 'run wasm-opt -Oz (binaryen) first; the optimized module is checked and kept when smaller')
    .option('--json', 'print the checks, the package directory and the manifest as JSON')
    .addHelpText('after', PACKAGE_HELP)
    .action(async (artifact: string, flags: PackageFlags) => setExit(await packageCommand(artifact, flags, io)));

  pkg
    .command('verify')
    .description(
      'Check a package directory: files present, manifest well formed, module.wasm digest, and the signature. Exit 0 only when everything checks, 1 otherwise.',
    )
    .argument('<DIR>', 'a package directory written by portalis package')
    .option(
      '--pubkey <FILE>',
      "the signer's public key (PREFIX.pub); without it the key recorded in the package is used",
    )
    .option('--json', 'print the result (ok, problems, pinned, keyId, manifest) as JSON')
    .action(async (dir: string, _flags: VerifyFlags, command: Command) =>
      // optsWithGlobals: a --json after DIR may be claimed by `package`, which has a --json of its own.
      setExit(await verifyCommand(dir, command.optsWithGlobals<VerifyFlags>(), io)),
    );
}
