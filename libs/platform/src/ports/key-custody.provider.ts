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
    const software = new SoftwareKeyCustody({
      store: new PostgresSealedKeyStore(dataSource),
      masterKey: { version: 1, key: new Uint8Array(Buffer.from(config.keyCustody.masterKey, 'base64')) },
      now,
    });
    const longLived = config.keyCustodyLongLived;
    if (longLived.kind === 'software') return software;
    return new RoutingKeyCustody(
      new Pkcs11KeyCustody({
        modulePath: longLived.modulePath,
        tokenLabel: longLived.tokenLabel,
        slotId: longLived.slotId,
        pin: readPin(longLived.pinFile),
        now,
      }),
      software,
    );
  },
};

function readPin(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new KeyCustodyError('token-error', `cannot read the PKCS#11 PIN file ${file}`, { cause });
  }
}
