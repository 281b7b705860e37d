import { type Provider } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { PostgresSealedKeyStore } from '@ztp/persistence';
import { type KeyCustody, SoftwareKeyCustody } from '@ztp/pki';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../tokens';
import { CLOCK, type Clock } from './clock';

/** The key custody every app signs through (manufacturer CAs, owner keys, Owner2 keys, owner CAs). */
export const KEY_CUSTODY = Symbol('KEY_CUSTODY');

/**
 * The software adapter: private keys sealed under the configured master key, records in the
 * `sealed_key` table. An HSM or KMS adapter replaces this provider and nothing else.
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
    return new SoftwareKeyCustody({
      store: new PostgresSealedKeyStore(dataSource),
      masterKey: { version: 1, key: new Uint8Array(Buffer.from(config.keyCustody.masterKey, 'base64')) },
      now: () => clock.now(),
    });
  },
};
