import { createHash, randomBytes } from 'node:crypto';
import { verifyWithAlg } from '@ztp/protocol';
import { KeyCustodyError } from '../errors';
import { type CustodyKeyInfo, type KeyCustody } from './key-custody';
import { SHORT_LIVED_PURPOSE_PREFIXES } from './routing-key-custody';
import { type SoftwareKeyCustody } from './software-key-custody';

/** What one key's move from the software custody into a token did. */
export interface KeyMigration {
  readonly keyId: string;
  readonly purpose: string;
  readonly spec: CustodyKeyInfo['spec'];
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: the key's name in audit events. */
  readonly publicKeySha256: string;
  /** The token held the key already (an earlier run stopped before retiring the software copy). */
  readonly alreadyInToken: boolean;
}

/**
 * Moves one software-custody key into `token` under the same id and purpose: unsealed here, imported
 * into the token (sensitive, not extractable: from then on only its public key comes out), checked
 * there (same public key, a test signature that verifies), and only then the software copy retired
 * by `retire` (the caller deletes the sealed record if it still holds `sealed`, with an audit event,
 * in one transaction). A run that stopped between import and retirement is finished by running it
 * again: the token's key is accepted when it is the same key.
 *
 * Owner2Keys (short-lived, see RoutingKeyCustody) are refused: they stay in software by design.
 */
export async function migrateKeyToToken(options: {
  readonly software: SoftwareKeyCustody;
  readonly token: KeyCustody;
  readonly keyId: string;
  readonly retire: (released: { info: CustodyKeyInfo; sealed: Uint8Array }) => Promise<void>;
}): Promise<KeyMigration> {
  const { software, token, keyId } = options;
  let released: Awaited<ReturnType<SoftwareKeyCustody['releaseForMigration']>>;
  try {
    released = await software.releaseForMigration(keyId);
  } catch (error) {
    if (error instanceof KeyCustodyError && error.code === 'key-not-found') {
      const inToken = await token.describeKey(keyId).then(
        () => true,
        () => false,
      );
      if (inToken) throw new KeyCustodyError('key-exists', `${keyId} is in the token already`);
    }
    throw error;
  }
  const { info } = released;
  if (SHORT_LIVED_PURPOSE_PREFIXES.some((prefix) => info.purpose.startsWith(prefix))) {
    throw new KeyCustodyError(
      'invalid-purpose',
      `${keyId} is a short-lived key (${info.purpose}); those stay in the software custody`,
    );
  }
  let alreadyInToken = false;
  try {
    await token.importKey({ keyId, privateKey: released.privateKey, purpose: info.purpose });
  } catch (error) {
    if (!(error instanceof KeyCustodyError && error.code === 'key-exists')) throw error;
    alreadyInToken = true;
  }
  const held = await token.describeKey(keyId);
  if (!Buffer.from(held.publicKeySpki).equals(Buffer.from(info.publicKeySpki))) {
    throw new KeyCustodyError(
      'key-exists',
      `the token holds a different key under ${keyId}; the software key was left where it is`,
    );
  }
  const signer = await token.signer(keyId);
  const probe = randomBytes(32);
  if (!verifyWithAlg(signer.alg, info.publicKey, probe, await signer.sign(probe))) {
    throw new KeyCustodyError(
      'token-error',
      `the token's copy of ${keyId} does not sign as the software key`,
    );
  }
  await options.retire({ info, sealed: released.sealed });
  software.forget(keyId);
  return {
    keyId,
    purpose: info.purpose,
    spec: info.spec,
    publicKeySha256: createHash('sha256').update(info.publicKeySpki).digest('hex'),
    alreadyInToken,
  };
}
