import { hkdfSync } from 'node:crypto';
import { type AppConfig } from '@ztp/config';

/** HKDF info label: a new label (v2) gives a new key, invalidating tokens in flight (60 s at most). */
export const TOKEN_KEY_LABEL = 'ztp rendezvous protocol token v1';

/**
 * The protocol-token MAC key: RENDEZVOUS_TOKEN_KEY when set, otherwise derived from the key-custody
 * master key with HKDF-SHA256 under its own label. Deriving means no second secret to generate,
 * store and distribute: every replica already has the master key (and embedded mode keeps it in
 * DATA_DIR), while the label keeps the token key unrelated to anything else made from it.
 */
export function protocolTokenKey(config: AppConfig): Uint8Array {
  if (config.rendezvous.tokenKey !== undefined)
    return new Uint8Array(Buffer.from(config.rendezvous.tokenKey, 'base64'));
  const master = Buffer.from(config.keyCustody.masterKey, 'base64');
  return new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), TOKEN_KEY_LABEL, 32));
}
