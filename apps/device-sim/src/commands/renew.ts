import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstClientError, estReenroll, OPERATIONAL_FILES } from '@ztp/fdo-client';
import { Option } from 'commander';
import { derToPem, KEY_SPECS, type KeySpec, pemToDerAll } from '@ztp/pki';
import { X509Certificate } from 'node:crypto';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';

export interface RenewCommandOptions {
  /** EST base URL, e.g. https://127.0.0.1:8443/.well-known/est (a CA label may follow). */
  url: string;
  /** The device folder holding operational.crt, operational.key and operational-ca.crt. */
  folder: string;
  serverTrust?: string;
  keySpec?: KeySpec;
  json?: boolean;
}

const read = (file: string, what: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimFailure(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
};

/** Writes next to the target and renames, so a crash leaves the old or the new file, never half of one. */
function replaceFile(path: string, content: string, mode: number): void {
  const temporary = `${path}.new`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

export async function runRenewCommand(options: RenewCommandOptions, context: CommandContext): Promise<void> {
  const file = (name: string) => join(options.folder, name);
  const certificatePem = read(file(OPERATIONAL_FILES.certificate), 'operational certificate');
  const keyPem = read(file(OPERATIONAL_FILES.privateKey), 'operational key');
  const caCertificates = pemToDerAll(
    read(file(OPERATIONAL_FILES.caCertificates), 'operational CA certificates'),
  );
  const serverTrust = options.serverTrust ? read(options.serverTrust, 'server trust') : undefined;
  let renewal;
  try {
    renewal = await estReenroll({
      estUrl: options.url,
      certificatePem,
      keyPem,
      caCertificates,
      ...(serverTrust ? { serverTrust } : {}),
      ...(options.keySpec ? { keySpec: options.keySpec } : {}),
    });
  } catch (err) {
    if (err instanceof EstClientError) throw new SimFailure(`renew: ${err.message}`);
    throw err;
  }
  // The old certificate is kept for the record; its key is useless once superseded, so it goes.
  copyFileSync(file(OPERATIONAL_FILES.certificate), file('operational.previous.crt'));
  replaceFile(
    file(OPERATIONAL_FILES.privateKey),
    renewal.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    0o600,
  );
  replaceFile(file(OPERATIONAL_FILES.certificate), derToPem(renewal.certificate), 0o644);
  const previous = new X509Certificate(certificatePem);
  const renewed = new X509Certificate(renewal.certificate);
  const result = {
    subject: renewed.subject.replace(/\n/g, ', '),
    serialNumber: renewed.serialNumber.toLowerCase(),
    previousSerialNumber: previous.serialNumber.toLowerCase(),
    notAfter: new Date(renewed.validTo).toISOString(),
    folder: options.folder,
  };
  context.io.stdout(
    options.json
      ? `${JSON.stringify(result)}\n`
      : `renewed ${result.subject}: serial ${result.serialNumber} (was ${result.previousSerialNumber}), valid until ${result.notAfter}\n`,
  );
}

export const renewCommand: DeviceSimCommand = {
  name: 'renew',
  register(program, context) {
    program
      .command('renew')
      .description(
        'renew the operational certificate over EST (RFC 7030 simplereenroll) with a new key, authenticated by the current one',
      )
      .requiredOption('--url <url>', 'EST base URL, e.g. https://127.0.0.1:8443/.well-known/est')
      .option(
        '--folder <dir>',
        'device folder with operational.crt, operational.key and operational-ca.crt',
        'device-files',
      )
      .option(
        '--server-trust <pem-file>',
        'TLS trust anchors of the EST server (default: its certificate is not checked)',
      )
      .addOption(
        new Option('--key-spec <spec>', "type of the new key (default: the current key's)").choices(
          KEY_SPECS,
        ),
      )
      .option('--json', 'print the result as JSON')
      .action(async (options: RenewCommandOptions) => {
        await runRenewCommand(options, context);
      });
  },
};
