import { Command, CommanderError } from 'commander';
import { type Fetch } from '@ztp/fdo-client';
import { COMMANDS } from './commands';
import { describeError } from './describe-error';
import { processIo, SimFailure, type SimIo } from './io';

/** The `device-sim` CLI: every command of the registry (commands/index.ts). */
export function createProgram(io: SimIo, fetch?: Fetch): Command {
  const program = new Command('device-sim')
    .description('FDO device simulator: DI, TO1, TO2 and fleets of devices against this service')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) });
  for (const command of COMMANDS) command.register(program, { io, fetch });
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
