import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import {
  type DeviceCredential,
  FdoHttpSession,
  runDeviceInitialize,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { PkEnc } from '@ztp/protocol';
import {
  DEFAULT_DI_URL,
  type DeviceKeyOptions,
  deviceKeyOptions,
  resolveDeviceKeyOptions,
  stationHeaders,
} from '../device-options';
import { type CommandContext, type DeviceSimCommand } from './command';

export interface DiCommandOptions extends DeviceKeyOptions {
  /** Base URL of the voucher service (DI endpoint). */
  url: string;
  serial?: string;
  deviceInfo: string;
  stationKey?: string;
  /** Where the credential is written. */
  credential: string;
  manufacturerKeyEncoding: 'x509' | 'cose' | 'x5chain';
  json?: boolean;
}

const KEY_ENCODINGS = { x509: PkEnc.X509, cose: PkEnc.COSEKEY, x5chain: PkEnc.X5CHAIN } as const;

/** A serial for a simulated device that has none: SIM- and 12 random hex digits. */
export function randomSerial(): string {
  return `SIM-${randomBytes(6).toString('hex')}`;
}

/**
 * `device-sim di`: one device goes through DI against the voucher service and keeps its credential
 * in a file (its key never leaves it: only a CSR is sent).
 */
export async function runDiCommand(
  options: DiCommandOptions,
  context: CommandContext,
): Promise<DeviceCredential> {
  const key = resolveDeviceKeyOptions(options);
  const serialNumber = options.serial ?? randomSerial();
  const credential = await runDeviceInitialize({
    session: new FdoHttpSession({
      baseUrl: options.url,
      fetch: context.fetch,
      headers: stationHeaders(options.stationKey),
    }),
    serialNumber,
    deviceInfo: options.deviceInfo,
    keySpec: key.keySpec,
    kexSuite: key.kexSuite,
    cipherSuite: key.cipherSuite,
    rsaPkType: key.rsaPkType,
    manufacturerKeyEncoding: KEY_ENCODINGS[options.manufacturerKeyEncoding],
  });
  writeDeviceCredentialFile(options.credential, credential);
  const result = { guid: credential.guid, serialNumber, credential: options.credential };
  context.io.stdout(
    options.json
      ? `${JSON.stringify(result)}\n`
      : `DI done: GUID ${credential.guid}, serial ${serialNumber}, credential written to ${options.credential}\n`,
  );
  return credential;
}

export const diCommand: DeviceSimCommand = {
  name: 'di',
  register(program, context) {
    const command = program
      .command('di')
      .description('run FDO Device Initialize (DI) as a new device and save its credential')
      .option('--url <url>', 'voucher service base URL', DEFAULT_DI_URL)
      .option('--serial <serial>', 'device serial number (default: SIM-<random>)')
      .option('--device-info <text>', 'DeviceInfo string', 'device-sim')
      .option('--station-key <key>', 'station API key (X-Station-Key), when the station uses one')
      .option('--credential <file>', 'device credential file to write', 'device-credential.json')
      .addOption(
        new Option('--manufacturer-key-encoding <encoding>', 'manufacturer key encoding to ask for')
          .choices(Object.keys(KEY_ENCODINGS))
          .default('x509'),
      )
      .option('--json', 'print the result as JSON');
    for (const option of deviceKeyOptions()) command.addOption(option);
    command.action(async (options: DiCommandOptions) => {
      await runDiCommand(options, context);
    });
  },
};
