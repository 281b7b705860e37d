import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option } from 'commander';
import {
  cipherSuiteNamed,
  type DeviceCredential,
  FdoHttpSession,
  isKexSuite,
  type ModuleEvent,
  readDeviceCredentialFile,
  runTo2,
  standardDeviceModules,
  type To2Outcome,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { type KexSuite } from '@ztp/protocol';
import { describeError } from '../describe-error';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';

/** Flags shared by `to2` and `onboard`: the device, its folder and its TO2 choices. */
export interface To2Flags {
  credential: string;
  /** The device folder (downloads, uploads, commands, operational certificate). */
  folder?: string;
  kex?: string;
  cipher?: string;
  /** CBC/CTR key sizes to try first: spec (default) or go-fdo. */
  etmKeySizes?: string;
  maxServiceInfoSize?: number;
  /** Refuse credential reuse even when the owner offers it. */
  refuseReuse?: boolean;
  json?: boolean;
}

export interface To2CommandOptions extends To2Flags {
  ownerUrl?: string;
  /** A TO1 result saved by `onboard --save-to1`. */
  to1?: string;
}

/** What `onboard --save-to1` writes and `to2 --to1` reads. */
export interface SavedTo1Route {
  to2Urls: string[];
  /** Hex of the owner-signed to1d, or null for RV bypass. */
  to1d: string | null;
}

export function to2Options(): Option[] {
  return [
    new Option(
      '--credential <file>',
      'device credential file (replaced after a TO2 with new credentials)',
    ).default('device-credential.json'),
    new Option('--folder <dir>', 'device folder for ServiceInfo (default: <credential dir>/device-files)'),
    new Option('--kex <suite>', "key exchange to offer (default: the credential's)"),
    new Option(
      '--cipher <suite>',
      "tunnel cipher to offer, e.g. A256GCM, or go-fdo's COSEAES128CBC (default: the credential's)",
    ),
    new Option(
      '--etm-key-sizes <convention>',
      "CBC/CTR key sizes to try first on SetupDevice: spec (SVK 32/64 bytes) or go-fdo's (16/32); the other is tried when they do not authenticate",
    )
      .choices(['spec', 'go-fdo'])
      .default('spec'),
    new Option(
      '--max-service-info-size <bytes>',
      'largest ServiceInfo the device accepts per message',
    ).argParser((value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 256 || n > 65535)
        throw new SimFailure('--max-service-info-size: 256..65535');
      return n;
    }),
    new Option('--refuse-reuse', 'always take new credentials, even when the owner offers credential reuse'),
    new Option('--json', 'print results as JSON lines'),
  ];
}

/**
 * Runs TO2 against the first owner URL that answers: verifies the owner, applies what the owner
 * sends through the standard FSIMs (confined to the device folder), and replaces the credential
 * file only once TO2 completed.
 */
export async function runTo2Against(
  urls: readonly string[],
  to1d: Uint8Array | null,
  flags: To2Flags,
  context: CommandContext,
): Promise<To2Outcome> {
  if (flags.kex !== undefined && !isKexSuite(flags.kex)) throw new SimFailure(`unknown --kex ${flags.kex}`);
  const cipherSuite = flags.cipher === undefined ? undefined : cipherSuiteNamed(flags.cipher);
  if (flags.cipher !== undefined && !cipherSuite) throw new SimFailure(`unknown --cipher ${flags.cipher}`);
  if (urls.length === 0) throw new SimFailure('no owner address to run TO2 against');
  const credential: DeviceCredential = readDeviceCredentialFile(flags.credential);
  const folder = flags.folder ?? join(dirname(flags.credential), 'device-files');
  const report = (event: ModuleEvent) =>
    context.io.stdout(
      flags.json
        ? `${JSON.stringify({ event: 'service-info', ...event })}\n`
        : `  ${event.module}: ${event.kind} ${event.detail}\n`,
    );
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const outcome = await runTo2({
        session: new FdoHttpSession({ baseUrl: url, fetch: context.fetch }),
        credential,
        kexSuite: flags.kex as KexSuite | undefined,
        cipherSuite,
        etmKeySizes: flags.etmKeySizes === 'go-fdo' ? 'go-fdo' : 'spec',
        modules: standardDeviceModules({ folder, events: report }),
        to1d,
        maxServiceInfoSize: flags.maxServiceInfoSize,
        acceptCredentialReuse: !flags.refuseReuse,
      });
      if (!outcome.credentialReused) writeDeviceCredentialFile(flags.credential, outcome.credential);
      const result = {
        event: 'onboarded',
        owner: url,
        guid: outcome.credential.guid,
        previousGuid: credential.guid,
        credentialReused: outcome.credentialReused,
        serviceInfoRounds: outcome.serviceInfoRounds,
        folder,
      };
      context.io.stdout(
        flags.json
          ? `${JSON.stringify(result)}\n`
          : `TO2 done with ${url}: GUID ${result.previousGuid} -> ${result.guid}` +
              `${outcome.credentialReused ? ' (credential reused)' : ''}, files in ${folder}\n`,
      );
      return outcome;
    } catch (err) {
      failures.push(`${url}: ${describeError(err)}`);
    }
  }
  throw new SimFailure(`TO2 failed: ${failures.join('; ')}`);
}

function readSavedRoute(path: string): SavedTo1Route {
  try {
    const route = JSON.parse(readFileSync(path, 'utf8')) as SavedTo1Route;
    if (!Array.isArray(route.to2Urls) || !route.to2Urls.every((url) => typeof url === 'string'))
      throw new Error('to2Urls missing');
    return route;
  } catch (err) {
    throw new SimFailure(`cannot read the TO1 result ${path}: ${(err as Error).message}`);
  }
}

export async function runTo2Command(
  options: To2CommandOptions,
  context: CommandContext,
): Promise<To2Outcome> {
  if (options.ownerUrl && options.to1) throw new SimFailure('give --owner-url or --to1, not both');
  if (options.ownerUrl) return runTo2Against([options.ownerUrl], null, options, context);
  if (!options.to1)
    throw new SimFailure('give --owner-url <url> or --to1 <file> (saved by onboard --save-to1)');
  const route = readSavedRoute(options.to1);
  return runTo2Against(
    route.to2Urls,
    route.to1d ? new Uint8Array(Buffer.from(route.to1d, 'hex')) : null,
    options,
    context,
  );
}

export const to2Command: DeviceSimCommand = {
  name: 'to2',
  register(program, context) {
    const command = program
      .command('to2')
      .description(
        'run FDO TO2 with an owner (from --owner-url, or a TO1 result saved by onboard --save-to1)',
      )
      .option('--owner-url <url>', 'owner onboarding base URL (RV bypass: no to1d to check)')
      .option('--to1 <file>', 'TO1 result saved by `onboard --save-to1`');
    for (const option of to2Options()) command.addOption(option);
    command.action(async (options: To2CommandOptions) => {
      await runTo2Command(options, context);
    });
  },
};
