import { readFileSync } from 'node:fs';
import { type Provider } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { PostgresSealedKeyStore } from '@ztp/persistence';
import {
  type KeyCustody,
  KeyCustodyError,
  Pkcs11KeyCustody,
  RoutingKeyCustody,
  SoftwareKeyCustody,
} from '@ztp/pki';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../tokens';
import { CLOCK, type Clock } from './clock';
import { MeteredKeyCustody } from './metered-key-custody';

/** The key custody every app signs through (manufacturer CAs, owner keys, Owner2 keys, owner CAs). */
export const KEY_CUSTODY = Symbol('KEY_CUSTODY');

/**
 * The software custody (private keys sealed under the configured master key, records in the
 * `sealed_key` table), and with KEY_CUSTODY=pkcs11 a PKCS#11 token for the long-lived key classes in
 * front of it (RoutingKeyCustody: Owner2Keys stay in software, keys are found in either).
 */
export const keyCustodyProvider: Provider = {
  provide: KEY_CUSTODY,
  inject: [APP_CONFIG, DataSource, CLOCK],
  useFactory: (
    config: AppConfig | undefined,
    dataSource: DataSource,
    clock: Clock,
  ): KeyCustody | undefined => {
    // Preview mode (OpenAPI generation) has no configuration and never signs.
    if (!config) return undefined;
    const now = () => clock.now();
    const software = softwareKeyCustody(config, dataSource, now);
    const token = pkcs11KeyCustody(config, now);
    // Counted (ztp_key_custody_operations_total) at the port, whichever custody is behind it.
    return new MeteredKeyCustody(token ? new RoutingKeyCustody(token, software) : software);
  },
};

/** The PKCS#11 token of KEY_CUSTODY=pkcs11 (module, token, PIN from its file); undefined with software. */
export function pkcs11KeyCustody(config: AppConfig, now: () => Date): Pkcs11KeyCustody | undefined {
  const longLived = config.keyCustodyLongLived;
  if (longLived.kind === 'software') return undefined;
  return new Pkcs11KeyCustody({
    modulePath: longLived.modulePath,
    tokenLabel: longLived.tokenLabel,
    slotId: longLived.slotId,
    pin: readPin(longLived.pinFile),
    now,
  });
}

/**
 * The software custody with every configured master key: KEY_CUSTODY_MASTER_KEY as the current
 * version (new seals), KEY_CUSTODY_PREVIOUS_MASTER_KEYS only for unsealing until `npm run custody --
 * reseal` has moved their records to the current version.
 */
export function softwareKeyCustody(
  config: AppConfig,
  dataSource: DataSource,
  now: () => Date,
): SoftwareKeyCustody {
  const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));
  return new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: {
      version: config.keyCustodyMasterKeys.currentVersion,
      key: bytes(config.keyCustody.masterKey),
    },
    retiredMasterKeys: config.keyCustodyMasterKeys.previous.map((previous) => ({
      version: previous.version,
      key: bytes(previous.key),
    })),
    now,
  });
}

function readPin(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new KeyCustodyError('token-error', `cannot read the PKCS#11 PIN file ${file}`, { cause });
  }
}
