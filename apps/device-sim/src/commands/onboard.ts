import { writeFileSync } from 'node:fs';
import {
  credentialRendezvousInfo,
  findOwnerViaRendezvous,
  readDeviceCredentialFile,
  type To1Route,
  To1NoRouteError,
  type To2Outcome,
} from '@ztp/fdo-client';
import { createSoftwareSigner, parseGuid } from '@ztp/protocol';
import { describeError } from '../describe-error';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';
import { runTo2Against, type SavedTo1Route, type To2Flags, to2Options } from './to2';

export interface OnboardCommandOptions extends To2Flags {
  /** Write the TO1 result here (for a later `to2 --to1`). */
  saveTo1?: string;
  /** Stop after TO1. */
  to1Only?: boolean;
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
    route = await findOwnerViaRendezvous(
      credentialRendezvousInfo(credential),
      { guid: parseGuid(credential.guid), signer: createSoftwareSigner(credential.privateKey) },
      { fetch: context.fetch },
    );
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
      .option('--to1-only', 'stop after TO1');
    for (const option of to2Options()) command.addOption(option);
    command.action(async (options: OnboardCommandOptions) => {
      await runOnboardCommand(options, context);
    });
  },
};
