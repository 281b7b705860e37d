import { Option, type Command } from 'commander';
import { REVOCATION_REASON_NAMES } from '@ztp/pki';
import { CliFailure, type CliIo } from '../io';

export interface RevokeOptions {
  /** voucher-service base URL. */
  url: string;
  /** API key (else ZTP_API_KEY). */
  apiKey?: string;
  device?: string;
  reason: string;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * `ztp certificate revoke SERIAL | --device GUID`: revokes operational certificates through the
 * owner API (POST /v1/onboarding/certificates/{serial}/revoke or .../devices/{device}/certificates/revoke)
 * and prints what was revoked as JSON.
 */
export async function revokeCertificates(
  io: CliIo,
  serial: string | undefined,
  options: RevokeOptions,
  fetchImpl: Fetch = (url, init) => globalThis.fetch(url, init),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if ((serial === undefined) === (options.device === undefined))
    throw new CliFailure('give a serial number or --device, not both', 2);
  const apiKey = options.apiKey ?? env['ZTP_API_KEY'];
  if (!apiKey) throw new CliFailure('an API key is needed: --api-key or ZTP_API_KEY', 2);
  const base = options.url.replace(/\/+$/, '');
  const path =
    serial !== undefined
      ? `/v1/onboarding/certificates/${encodeURIComponent(serial)}/revoke`
      : `/v1/onboarding/devices/${encodeURIComponent(options.device!)}/certificates/revoke`;
  let response: Response;
  try {
    response = await fetchImpl(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: options.reason }),
    });
  } catch (err) {
    throw new CliFailure(`cannot reach ${base}: ${(err as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try {
      const problem = JSON.parse(text) as { title?: string; detail?: string };
      detail = problem.detail ?? problem.title ?? text;
    } catch {
      // not a problem document
    }
    throw new CliFailure(`revocation refused (${response.status}): ${detail}`);
  }
  io.stdout(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
}

export function registerCertificateCommands(program: Command, io: CliIo): void {
  const certificate = program.command('certificate').description('operational certificates of an owner CA');
  certificate
    .command('revoke')
    .description('revoke a certificate by serial number (hex), or every certificate of a device')
    .argument('[serial]', 'certificate serial number, hex (colons allowed)')
    .option('--device <guid-or-id>', 'revoke every unrevoked certificate of this device')
    .requiredOption('--url <url>', 'voucher-service base URL, e.g. http://127.0.0.1:8041')
    .option('--api-key <key>', 'owner API key with onboarding:admin (default: ZTP_API_KEY)')
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 revocation reason')
        .choices(REVOCATION_REASON_NAMES)
        .default('unspecified'),
    )
    .action(async (serial: string | undefined, options: RevokeOptions) => {
      await revokeCertificates(io, serial, options);
    });
}
