import { CryptoError, VoucherError } from '@ztp/protocol';
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerDeviceLifecycleCommands } from './commands/device-lifecycle';
import { registerCertificateCommands } from './commands/certificate';
import { registerVoucherCommands } from './commands/voucher';
import { CliFailure, processIo, type CliIo } from './io';

/** The `ztp` operator CLI. Each area registers its own command group (voucher, certificate). */
export function createProgram(io: CliIo): Command {
  const program = new Command('ztp')
    .description('operator CLI for the zero-touch onboarding service')
    .version(projectVersion(), '-V, --version', 'print the ztp version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) });
  registerVoucherCommands(program, io);
  registerDeviceLifecycleCommands(program, io);
  registerCertificateCommands(program, io);
  return program;
}

/** The version of the package this CLI ships in (the repository's package.json). */
function projectVersion(): string {
  const manifest = createRequire(import.meta.url)('../../../package.json') as { version: string };
  return manifest.version;
}

function describeFailure(err: unknown): string {
  if (err instanceof VoucherError) return `invalid voucher (${err.code}): ${err.message}`;
  if (err instanceof CryptoError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Runs the CLI on user arguments and returns the exit code; failures are explained on stderr. */
export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has already printed its own usage errors and help.
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(`ztp: ${describeFailure(err)}\n`);
    return err instanceof CliFailure ? err.exitCode : 1;
  }
}
