import { Option } from 'commander';
import { type CipherSuiteName, cipherSuiteNamed, isKexSuite } from '@ztp/fdo-client';
import { type KeySpec } from '@ztp/pki';
import { KexSuite } from '@ztp/protocol';
import { SimFailure } from './io';

/** Key type flag values and the key each one makes. */
export const KEY_TYPES: Record<string, KeySpec> = {
  p256: 'P-256',
  p384: 'P-384',
  rsa2048: 'RSA-2048',
  rsa3072: 'RSA-3072',
};

/** What every command that creates devices accepts: the device key and its TO2 preferences. */
export interface DeviceKeyOptions {
  keyType: string;
  kex?: string;
  cipher?: string;
  rsaPkType?: string;
}

export function deviceKeyOptions(): Option[] {
  return [
    new Option('--key-type <type>', 'device key, generated on the device')
      .choices(Object.keys(KEY_TYPES))
      .default('p256'),
    new Option(
      '--kex <suite>',
      'key exchange to offer in TO2 (default: ECDH384 for p384/rsa3072, else ECDH256)',
    ).choices(Object.values(KexSuite)),
    new Option(
      '--cipher <suite>',
      "TO2 tunnel cipher, e.g. A128GCM, A256GCM, AES128_CBC_HMAC256 or go-fdo's COSEAES128CBC (default from the key type)",
    ),
    new Option(
      '--rsa-pk-type <type>',
      'key type RSA devices claim in DI (default: RSA2048RESTR for rsa2048, as go-fdo devices do; RSAPKCS otherwise)',
    ).choices(['RSA2048RESTR', 'RSAPKCS']),
  ];
}

export interface ResolvedDeviceKeyOptions {
  keySpec: KeySpec;
  kexSuite?: KexSuite;
  cipherSuite?: CipherSuiteName;
  rsaPkType?: 'RSA2048RESTR' | 'RSAPKCS';
}

export function resolveDeviceKeyOptions(options: DeviceKeyOptions): ResolvedDeviceKeyOptions {
  const keySpec = KEY_TYPES[options.keyType];
  if (!keySpec) throw new SimFailure(`unknown --key-type ${options.keyType}`);
  if (options.kex !== undefined && !isKexSuite(options.kex))
    throw new SimFailure(`unknown --kex ${options.kex}`);
  const cipherSuite = options.cipher === undefined ? undefined : cipherSuiteNamed(options.cipher);
  if (options.cipher !== undefined && !cipherSuite)
    throw new SimFailure(`unknown --cipher ${options.cipher}`);
  return {
    keySpec,
    ...(options.kex !== undefined ? { kexSuite: options.kex as KexSuite } : {}),
    ...(cipherSuite ? { cipherSuite } : {}),
    ...(options.rsaPkType === 'RSA2048RESTR' || options.rsaPkType === 'RSAPKCS'
      ? { rsaPkType: options.rsaPkType }
      : {}),
  };
}

/** Headers a station adds to DI requests (its API key), none without one. */
export function stationHeaders(stationKey: string | undefined): Record<string, string> {
  return stationKey ? { 'x-station-key': stationKey } : {};
}

export const DEFAULT_DI_URL = 'http://127.0.0.1:8041';
