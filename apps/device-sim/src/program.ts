import { Command, CommanderError } from 'commander';
import { type Fetch } from '@ztp/fdo-client';
import { CipherSuite, KexSuite } from '@ztp/protocol';
import { COMMANDS } from './commands';
import { KEY_TYPES } from './device-options';
import { describeError } from './describe-error';
import { processIo, SimFailure, type SimIo } from './io';

/** The `device-sim` CLI: every command of the registry (commands/index.ts). */
export function createProgram(io: SimIo, fetch?: Fetch): Command {
  const program = new Command('device-sim')
    .description('FDO device simulator: DI, TO1, TO2 and fleets of devices against this service')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) });
  for (const command of COMMANDS) command.register(program, { io, fetch });
  program.addHelpText('after', suitesHelp());
  return program;
}

/** Runs the CLI on user arguments and returns the exit code; failures are explained on stderr. */
export async function runDeviceSim(
  args: readonly string[],
  io: SimIo = processIo,
  fetch?: Fetch,
): Promise<number> {
  try {
    await createProgram(io, fetch).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has printed its own usage errors and help already.
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(`device-sim: ${err instanceof SimFailure ? err.message : describeError(err)}\n`);
    return err instanceof SimFailure ? err.exitCode : 1;
  }
}

/** What `device-sim --help` adds below the commands: the suites it speaks and the device folder rule. */
function suitesHelp(): string {
  return [
    '',
    'Suites:',
    `  key types (--key-type):   ${Object.keys(KEY_TYPES).join(', ')}`,
    `  key exchanges (--kex):    ${Object.values(KexSuite).join(', ')}`,
    `  TO2 ciphers (--cipher):   ${Object.keys(CipherSuite).join(', ')}`,
    '',
    'Device folder: what the owner delivers in TO2 (fdo.download files, fdo.command runs) stays in the',
    "device's folder (to2/onboard --folder, default device-files beside the credential; run --out-dir",
    '<dir>/<serial>). Files are written only inside it and commands run with it as working directory;',
    'a file name that leaves it (an absolute path such as /etc/app.conf, or ..) is refused and reported',
    'to the owner as a failed step (-1).',
    '',
  ].join('\n');
}
