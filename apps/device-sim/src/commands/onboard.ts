import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { readDeviceCredentialFile, type To1Route, To1NoRouteError, type To2Outcome } from '@ztp/fdo-client';
import { describeError } from '../describe-error';
import { findOwnerWaitingForTo0 } from '../flows/onboard-flow';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';
import { runTo2Against, type SavedTo1Route, type To2Flags, to2Options } from './to2';

export interface OnboardCommandOptions extends To2Flags {
  /** Write the TO1 result here (for a later `to2 --to1`). */
  saveTo1?: string;
  /** Stop after TO1. */
  to1Only?: boolean;
  /** Seconds to retry TO1 while the owner has not registered the device yet (0: no retry). */
  to0Wait?: number;
}

/**
 * `device-sim onboard`: first boot of a device. Walks its RendezvousInfo with TO1 (or takes a
 * bypass directive's owner address), then runs TO2 with the owner named there, checking that the
 * owner signed the to1d, and keeps the replacement credential.
 */
export async function runOnboardCommand(
  options: OnboardCommandOptions,
  context: CommandContext,
): Promise<{ route: To1Route; to2: To2Outcome | null }> {
  const credential = readDeviceCredentialFile(options.credential);
  let route: To1Route;
  try {
    route = await findOwnerWaitingForTo0(credential, options.to0Wait ?? 0, context.fetch);
  } catch (err) {
    if (err instanceof To1NoRouteError) throw new SimFailure(`TO1 failed: ${err.message}`);
    throw new SimFailure(`TO1 failed: ${describeError(err)}`);
  }
  const saved: SavedTo1Route = {
    to2Urls: route.to2Urls,
    to1d: route.to1d ? Buffer.from(route.to1d).toString('hex') : null,
  };
  if (options.saveTo1) writeFileSync(options.saveTo1, `${JSON.stringify(saved, null, 2)}\n`);
  context.io.stdout(
    options.json
      ? `${JSON.stringify({ event: 'to1', rendezvous: route.url, bypass: route.bypass, to2Urls: route.to2Urls })}\n`
      : `TO1 ${route.bypass ? 'bypassed' : `done with ${route.url}`}: owner at ${route.to2Urls.join(', ')}\n`,
  );
  if (options.to1Only) return { route, to2: null };
  return { route, to2: await runTo2Against(route.to2Urls, route.to1d, options, context) };
}

export const onboardCommand: DeviceSimCommand = {
  name: 'onboard',
  register(program, context) {
    const command = program
      .command('onboard')
      .description('first boot: TO1 through the RendezvousInfo in the credential, then TO2 with the owner')
      .option('--save-to1 <file>', 'also write the TO1 result, for `to2 --to1 <file>`')
      .option('--to1-only', 'stop after TO1')
      .option(
        '--to0-wait <seconds>',
        "retry TO1 this long while the owner's TO0 registration is on its way (default: no retry)",
        (value: string) => {
          const seconds = Number(value);
          if (!/^\d+$/.test(value) || seconds > 3600)
            throw new InvalidArgumentError('expected an integer 0..3600');
          return seconds;
        },
      );
    for (const option of to2Options()) command.addOption(option);
    command.action(async (options: OnboardCommandOptions) => {
      await runOnboardCommand(options, context);
    });
  },
};
