import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  nodeSztpTransport,
  type SztpApplier,
  type SztpBootstrapResult,
  SztpDevice,
  SztpDeviceError,
  type SztpLdevid,
} from '@ztp/fdo-client';
import { sztp } from '@ztp/protocol';
import { SimFailure } from '../io';
import { type CommandContext, type DeviceSimCommand } from './command';

export interface SztpCommandOptions {
  /** Well-known bootstrap (redirect) servers, e.g. https://127.0.0.1:8440. */
  url: string[];
  serial?: string;
  /** PEM IDevID certificate (its chain may follow) and its PEM private key. */
  cert?: string;
  key?: string;
  activationCode?: string;
  /** PEM: the MASA trust anchor(s) vouchers must chain to. */
  masaTrust: string;
  /** Treat --masa-trust as the pinned MASA certificate itself. */
  masaPinned?: boolean;
  /** PEM: TLS trust anchors of the first server (else it is untrusted). */
  serverTrust?: string;
  xml?: boolean;
  nonce: boolean;
  ldevid?: boolean;
  reportUntrusted?: boolean;
  /** Where the onboarding information is applied. */
  out: string;
  json?: boolean;
}

const read = (file: string, what: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimFailure(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
};

function certificates(file: string, what: string): Uint8Array[] {
  const ders = sztp.certificatesFromPem(read(file, what));
  if (ders.length === 0) throw new SimFailure(`${what} ${file} holds no PEM certificate`);
  return ders;
}

/** The serial an IDevID names in its subject serialNumber attribute (2.5.4.5). */
function serialFromCertificate(der: Uint8Array): string | undefined {
  const match = /(?:^|\n)serialNumber=([^\n]+)/.exec(sztp.parseCertificate(der).x509.subject);
  return match?.[1]?.trim();
}

/** RFC 4253 section 6.6 ssh-ed25519 key blob (string "ssh-ed25519", string key) of a device host key. */
function sshEd25519Blob(key: KeyObject): Uint8Array {
  const raw = createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(-32);
  const sshString = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length, 0);
    return Buffer.concat([length, bytes]);
  };
  return new Uint8Array(Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]));
}

/**
 * Writes what the device is told into a folder, as a real device would install and apply it.
 * Scripts are written, never run: this is a simulator on somebody's workstation.
 */
export function folderApplier(out: string): SztpApplier & { readonly written: string[] } {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const write = (name: string, content: Uint8Array | string, mode?: number) => {
    const path = join(out, name);
    writeFileSync(path, content);
    if (mode !== undefined) chmodSync(path, mode);
    written.push(name);
  };
  return {
    written,
    async installBootImage(image) {
      write('boot-image.bin', image.bytes);
      write(
        'boot-image.json',
        `${JSON.stringify({ uri: image.uri, osName: image.info.osName, osVersion: image.info.osVersion }, null, 2)}\n`,
      );
    },
    async runScript(stage, script) {
      write(`${stage}-configuration-script`, script);
    },
    async applyConfiguration(configuration, handling) {
      write('configuration', configuration);
      write('configuration-handling', `${handling}\n`);
    },
    async storeLdevid(ldevid: SztpLdevid) {
      write(
        'ldevid.pem',
        [ldevid.certificate, ...ldevid.chain].map((der) => sztp.certificateToPem(der)).join(''),
      );
      write('ldevid.key', ldevid.privateKeyPem, 0o600);
    },
  };
}

/**
 * `device-sim sztp`: one device bootstraps over SZTP (RFC 8572) from its well-known server: it
 * follows the redirect, verifies the voucher, the owner certificate and every signature and hash,
 * applies the onboarding information into a folder, takes an LDevID (RFC 9646) when asked, and
 * reports progress.
 */
export async function runSztpCommand(
  options: SztpCommandOptions,
  context: CommandContext,
): Promise<SztpBootstrapResult> {
  if ((options.cert === undefined) !== (options.key === undefined))
    throw new SimFailure('--cert and --key go together');
  if (options.cert === undefined && options.activationCode === undefined) {
    throw new SimFailure('the device needs an identity: --cert/--key (IDevID) or --activation-code');
  }
  const certificatePem = options.cert ? read(options.cert, 'IDevID certificate') : undefined;
  const keyPem = options.key ? read(options.key, 'IDevID key') : undefined;
  const idevid = certificatePem ? sztp.certificatesFromPem(certificatePem) : [];
  const serialNumber = options.serial ?? (idevid[0] ? serialFromCertificate(idevid[0]) : undefined);
  if (serialNumber === undefined)
    throw new SimFailure('--serial is needed (the IDevID names no serialNumber)');
  const masa = certificates(options.masaTrust, 'MASA trust');
  const hostKey = generateKeyPairSync('ed25519').privateKey;
  const applier = folderApplier(options.out);
  const device = new SztpDevice({
    serialNumber,
    bootstrapServers: options.url.map((url) => ({
      url: url.replace(/\/+$/, ''),
      ...(options.serverTrust ? { trustAnchors: certificates(options.serverTrust, 'server trust') } : {}),
    })),
    manufacturerTrust: options.masaPinned ? { masaCertificate: masa[0]! } : { trustAnchors: masa },
    transport: nodeSztpTransport(
      certificatePem && keyPem ? { clientCertificate: { certificatePem, keyPem } } : {},
    ),
    ...(options.activationCode ? { activationCode: options.activationCode } : {}),
    encoding: options.xml ? 'xml' : 'json',
    sendNonce: options.nonce,
    requestLdevid: options.ldevid === true,
    ...(keyPem ? { idevidKey: idevidKey(keyPem) } : {}),
    applier,
    sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: sshEd25519Blob(hostKey) }],
    ...(idevid.length > 1 ? { deviceTrustAnchors: idevid.slice(-1) } : {}),
    reportToUntrusted: options.reportUntrusted === true,
    onEvent: (event) => {
      if (!options.json) context.io.stderr(`sztp: ${event}\n`);
    },
  });
  let result: SztpBootstrapResult;
  try {
    result = await device.bootstrap();
  } catch (err) {
    if (err instanceof SztpDeviceError) throw new SimFailure(`SZTP ${err.code}: ${err.message}`);
    throw err;
  }
  const summary = {
    serialNumber,
    servers: result.servers,
    bootImage: result.bootImage ?? null,
    ldevid: result.ldevid ? sztp.parseCertificate(result.ldevid.certificate).x509.subject : null,
    reported: result.reported,
    out: options.out,
    written: applier.written,
  };
  context.io.stdout(
    options.json
      ? `${JSON.stringify(summary)}\n`
      : `SZTP done: ${result.servers.map((s) => `${s.url} (${s.answer}${s.signed ? ', signed' : ''})`).join(' -> ')}; ` +
          `${applier.written.length} files in ${options.out}; ${result.reported.length} progress reports\n`,
  );
  return result;
}

function idevidKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new SimFailure(`the IDevID key is not a PEM private key: ${(err as Error).message}`);
  }
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export const sztpCommand: DeviceSimCommand = {
  name: 'sztp',
  register(program, context) {
    program
      .command('sztp')
      .description('bootstrap one device over SZTP (RFC 8572): redirect, verify, apply, report progress')
      .requiredOption(
        '--url <url>',
        'well-known bootstrap server, e.g. https://127.0.0.1:8440 (repeatable)',
        collect,
      )
      .requiredOption('--masa-trust <pem-file>', 'MASA trust anchor(s) the ownership voucher must chain to')
      .option('--masa-pinned', 'the --masa-trust file is the MASA certificate itself (pinned)')
      .option('--cert <pem-file>', 'IDevID certificate (chain may follow), the TLS client certificate')
      .option('--key <pem-file>', 'IDevID private key')
      .option('--activation-code <code>', 'HTTP Basic password (the serial number is the user name)')
      .option('--serial <serial>', "serial number (default: the IDevID's subject serialNumber)")
      .option('--server-trust <pem-file>', 'TLS trust anchors of the first server (default: untrusted)')
      .option('--xml', 'speak application/yang-data+xml instead of JSON')
      .option('--no-nonce', 'do not ask for a nonce-bound voucher')
      .option('--ldevid', 'offer csr-support to trusted servers and take an LDevID (RFC 9646)')
      .option('--report-untrusted', 'also report progress to untrusted servers (as the OPI agent does)')
      .option('--out <dir>', 'folder the onboarding information is applied into', 'sztp-device')
      .option('--json', 'print the result as JSON')
      .action(async (options: SztpCommandOptions) => {
        await runSztpCommand(options, context);
      });
  },
};
