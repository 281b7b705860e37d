import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  credentialRendezvousInfo,
  FdoHttpSession,
  findOwnerViaRendezvous,
  readDeviceCredentialFile,
  runTo1,
  type To1Route,
  To1NoRouteError,
} from '@ztp/fdo-client';
import { createSoftwareSigner, ipBytesToText, parseGuid, rvTo2AddrUrl } from '@ztp/protocol';
import { describeError } from '../describe-error';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';
import { type SavedTo1Route } from './to2';

export interface To1CommandOptions {
  credential: string;
  /** Ask this rendezvous server only, instead of walking the credential's RendezvousInfo. */
  rvUrl?: string;
  /** Where to keep the result for `to2 --to1` (default: to1-route.json beside the credential). */
  save?: string;
  json?: boolean;
}

/**
 * `device-sim to1`: FDO TO1 alone. Asks the rendezvous server(s) of the device's RendezvousInfo
 * (or --rv-url) where the owner is, prints the owner's RVTO2Addr list, and keeps it (with the
 * owner-signed to1d) for a later `to2 --to1 <file>`.
 */
export async function runTo1Command(options: To1CommandOptions, context: CommandContext): Promise<To1Route> {
  const credential = readDeviceCredentialFile(options.credential);
  const device = { guid: parseGuid(credential.guid), signer: createSoftwareSigner(credential.privateKey) };
  let route: To1Route;
  try {
    if (options.rvUrl) {
      const outcome = await runTo1(
        new FdoHttpSession({ baseUrl: options.rvUrl, fetch: context.fetch }),
        device,
      );
      route = {
        directive: -1,
        url: options.rvUrl,
        bypass: false,
        to2Addresses: outcome.to2Addresses,
        to2Urls: outcome.to2Addresses.map(rvTo2AddrUrl),
        to1d: outcome.to1d,
        attempts: [],
      };
    } else {
      route = await findOwnerViaRendezvous(credentialRendezvousInfo(credential), device, {
        fetch: context.fetch,
      });
    }
  } catch (err) {
    if (err instanceof To1NoRouteError) throw new SimFailure(`TO1 failed: ${err.message}`);
    throw new SimFailure(`TO1 failed: ${describeError(err)}`);
  }
  const savedTo = options.save ?? join(dirname(options.credential), 'to1-route.json');
  const saved: SavedTo1Route = {
    to2Urls: route.to2Urls,
    to1d: route.to1d ? Buffer.from(route.to1d).toString('hex') : null,
  };
  writeFileSync(savedTo, `${JSON.stringify(saved, null, 2)}\n`);
  const addresses = route.to2Addresses.map((address) => ({
    ip: address.ip === null ? null : ipBytesToText(address.ip),
    dns: address.dns,
    port: address.port,
    protocol: address.protocol,
  }));
  if (options.json) {
    context.io.stdout(
      `${JSON.stringify({
        event: 'to1',
        guid: credential.guid,
        rendezvous: route.url,
        bypass: route.bypass,
        to2Addresses: addresses,
        to2Urls: route.to2Urls,
        saved: savedTo,
      })}\n`,
    );
  } else {
    const lines = route.bypass
      ? [`TO1 bypassed (RVBypass): owner at ${route.url}`]
      : [
          `TO1 done with ${route.url}: the owner of ${credential.guid} is at`,
          ...addresses.map(
            (a) => `  ${a.protocol} ${a.dns ?? a.ip}:${a.port}${a.dns && a.ip ? ` (${a.ip})` : ''}`,
          ),
        ];
    context.io.stdout(`${[...lines, `saved for \`to2 --to1 ${savedTo}\``].join('\n')}\n`);
  }
  return route;
}

export const to1Command: DeviceSimCommand = {
  name: 'to1',
  register(program, context) {
    program
      .command('to1')
      .description(
        "run FDO TO1: ask the rendezvous server where the device's owner is, and keep the answer for to2",
      )
      .option('--credential <file>', 'device credential file', 'device-credential.json')
      .option('--rv-url <url>', "ask this rendezvous server instead of the credential's RendezvousInfo")
      .option('--save <file>', 'where to keep the TO1 result (default: to1-route.json beside the credential)')
      .option('--json', 'print the result as one JSON line')
      .action(async (options: To1CommandOptions) => {
        await runTo1Command(options, context);
      });
  },
};
