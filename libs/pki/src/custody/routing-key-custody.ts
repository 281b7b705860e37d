import { type KeyObject } from 'node:crypto';
import { type SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { KeyCustodyError } from '../errors';
import { type KeySpec } from '../key-spec';
import { type CustodyKeyInfo, type KeyCustody, type RsaOaepParams } from './key-custody';

/**
 * Key classes that stay in the software custody when long-lived keys go to an HSM: the per-device
 * TO2 Owner2Keys (purpose `owner2:<tenant>`), made and taken into custody once per onboarded device,
 * where a token round trip per device buys little (they replace a key the device just used).
 */
export const SHORT_LIVED_PURPOSE_PREFIXES: readonly string[] = ['owner2:'];

/**
 * Sends each key class to its custody: new keys by purpose (short-lived ones to `shortLived`, all
 * others — CAs, voucher-signing, owner and SZTP signing keys — to `longLived`); existing keys by id,
 * looked up in `longLived` first and then in `shortLived`, so keys made before the switch to a token
 * keep working until they are migrated.
 */
export class RoutingKeyCustody implements KeyCustody {
  constructor(
    private readonly longLived: KeyCustody,
    private readonly shortLived: KeyCustody,
    private readonly shortLivedPrefixes: readonly string[] = SHORT_LIVED_PURPOSE_PREFIXES,
  ) {}

  generateKey(request: { keyId: string; spec: KeySpec; purpose: string }): Promise<CustodyKeyInfo> {
    return this.forPurpose(request.purpose).generateKey(request);
  }

  importKey(request: { keyId: string; privateKey: KeyObject; purpose: string }): Promise<CustodyKeyInfo> {
    return this.forPurpose(request.purpose).importKey(request);
  }

  describeKey(keyId: string): Promise<CustodyKeyInfo> {
    return this.holding(keyId, (custody) => custody.describeKey(keyId));
  }

  publicKey(keyId: string): Promise<KeyObject> {
    return this.holding(keyId, (custody) => custody.publicKey(keyId));
  }

  signer(keyId: string, alg?: SigAlg): Promise<Signer> {
    return this.holding(keyId, (custody) => custody.signer(keyId, alg));
  }

  decrypt(keyId: string, ciphertext: Uint8Array, params: RsaOaepParams): Promise<Uint8Array> {
    return this.holding(keyId, (custody) => custody.decrypt(keyId, ciphertext, params));
  }

  destroyKey(keyId: string): Promise<void> {
    return this.holding(keyId, (custody) => custody.destroyKey(keyId));
  }

  private forPurpose(purpose: string): KeyCustody {
    return this.shortLivedPrefixes.some((prefix) => purpose.startsWith(prefix))
      ? this.shortLived
      : this.longLived;
  }

  private async holding<T>(keyId: string, use: (custody: KeyCustody) => Promise<T>): Promise<T> {
    try {
      return await use(this.longLived);
    } catch (error) {
      if (error instanceof KeyCustodyError && error.code === 'key-not-found') return use(this.shortLived);
      throw error;
    }
  }
}
