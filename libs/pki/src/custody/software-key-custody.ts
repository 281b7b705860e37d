import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  privateDecrypt,
} from 'node:crypto';
import { promisify } from 'node:util';
import { type SigAlg, signWithAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { KeyCustodyError } from '../errors';
import { isKeySpec, type KeySpec, keySpecOf } from '../key-spec';
import { checkKeyIdentity } from './key-identity';
import { type CustodyKeyInfo, type KeyCustody, type RsaOaepParams } from './key-custody';
import { LruCache } from './lru-cache';
import { type SealedKeyRecord, type SealedKeyStore } from './sealed-key-store';
import { assertValidMasterKey, type MasterKey, sealPrivateKey, unsealPrivateKey } from './sealing';
import { chooseSigningAlg } from './signing-alg';

export interface SoftwareKeyCustodyOptions {
  readonly store: SealedKeyStore;
  /** Seals every new key, and unseals what it sealed. */
  readonly masterKey: MasterKey;
  /** Earlier master keys, kept only to unseal records they wrapped. */
  readonly retiredMasterKeys?: readonly MasterKey[];
  readonly now: () => Date;
  /** How many unsealed keys stay in memory (least recently used go first). Default 64; 0 disables. */
  readonly cacheSize?: number;
  /**
   * How long an unsealed key stays cached. Bounds how long a key destroyed through another replica
   * keeps signing here. Default 5 minutes.
   */
  readonly cacheTtlMs?: number;
}

interface CachedKey {
  readonly privateKey: KeyObject;
  readonly expiresAt: number;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * KeyCustody in software: private keys live in a SealedKeyStore sealed under a master key (see
 * sealing.ts) and are unsealed into KeyObjects in this process only when used.
 */
export class SoftwareKeyCustody implements KeyCustody {
  private readonly masterKeys = new Map<number, MasterKey>();
  private readonly cache: LruCache<string, CachedKey>;
  private readonly cacheTtlMs: number;

  constructor(private readonly options: SoftwareKeyCustodyOptions) {
    for (const master of [options.masterKey, ...(options.retiredMasterKeys ?? [])]) {
      assertValidMasterKey(master);
      if (this.masterKeys.has(master.version)) {
        throw new KeyCustodyError('invalid-master-key', `master key version ${master.version} given twice`);
      }
      this.masterKeys.set(master.version, master);
    }
    this.cache = new LruCache(options.cacheSize ?? 64);
    this.cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  }

  async generateKey(request: { keyId: string; spec: KeySpec; purpose: string }): Promise<CustodyKeyInfo> {
    checkKeyIdentity(request.keyId, request.purpose);
    if (!isKeySpec(request.spec)) {
      throw new KeyCustodyError(
        'unsupported-key-type',
        `cannot generate a key of type ${String(request.spec)}`,
      );
    }
    if (await this.options.store.get(request.keyId)) {
      throw new KeyCustodyError('key-exists', `a key with id ${request.keyId} already exists`);
    }
    const { privateKey } = await generateKeyPairFor(request.spec);
    return this.takeIntoCustody(request.keyId, request.purpose, privateKey);
  }

  async importKey(request: {
    keyId: string;
    privateKey: KeyObject;
    purpose: string;
  }): Promise<CustodyKeyInfo> {
    checkKeyIdentity(request.keyId, request.purpose);
    if (request.privateKey.type !== 'private') {
      throw new KeyCustodyError('unsupported-key-type', 'importKey needs a private key');
    }
    return this.takeIntoCustody(request.keyId, request.purpose, request.privateKey);
  }

  async describeKey(keyId: string): Promise<CustodyKeyInfo> {
    return toInfo(await this.record(keyId));
  }

  async publicKey(keyId: string): Promise<KeyObject> {
    return (await this.describeKey(keyId)).publicKey;
  }

  async signer(keyId: string, alg?: SigAlg): Promise<Signer> {
    const info = await this.describeKey(keyId);
    const chosen = chooseSigningAlg(keyId, info.spec, alg);
    return {
      alg: chosen,
      publicKey: info.publicKey,
      sign: async (data) => signWithAlg(chosen, await this.privateKey(keyId), data),
    };
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, params: RsaOaepParams): Promise<Uint8Array> {
    const record = await this.record(keyId);
    if (record.spec !== 'RSA-2048' && record.spec !== 'RSA-3072') {
      throw new KeyCustodyError(
        'unsupported-algorithm',
        `RSA-OAEP needs an RSA key; ${keyId} is ${record.spec}`,
      );
    }
    const privateKey = await this.privateKey(keyId, record);
    try {
      return privateDecrypt(
        {
          key: privateKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: params.hash === 'SHA-384' ? 'sha384' : 'sha256',
        },
        ciphertext,
      );
    } catch (cause) {
      throw new KeyCustodyError('decrypt-failed', `RSA-OAEP decryption with ${keyId} failed`, { cause });
    }
  }

  async destroyKey(keyId: string): Promise<void> {
    this.cache.delete(keyId);
    if (!(await this.options.store.delete(keyId))) {
      throw new KeyCustodyError('key-not-found', `no key with id ${keyId}`);
    }
  }

  /**
   * Master-key rotation: re-seals every record not sealed under the current master key (the data key
   * is unwrapped with the old version and the body re-sealed under the current one; the public
   * metadata stays). Records destroyed or re-sealed meanwhile by another replica are skipped.
   * Returns how many were re-sealed.
   */
  async resealAll(batchSize = 100): Promise<{ resealed: number }> {
    const current = this.options.masterKey;
    let resealed = 0;
    const seen = new Set<string>();
    for (;;) {
      const keyIds = (
        await this.options.store.keyIdsNotSealedWith(current.version, batchSize + seen.size)
      ).filter((keyId) => !seen.has(keyId));
      if (keyIds.length === 0) return { resealed };
      for (const keyId of keyIds) {
        seen.add(keyId);
        const record = await this.options.store.get(keyId);
        if (!record) continue;
        const pkcs8 = unsealPrivateKey(record.sealed, record, (version) => this.masterKeys.get(version));
        try {
          const sealed = sealPrivateKey(pkcs8, record, current);
          if (await this.options.store.replaceSealed(keyId, record.sealed, sealed)) resealed++;
        } finally {
          pkcs8.fill(0);
        }
      }
    }
  }

  /**
   * For migration into another custody (`npm run custody -- migrate`) and nothing else: the unsealed
   * private key with its record's seal, which the migration hands to `retire` (compare and swap) once
   * the target holds the key, so the software copy is removed only if it is still the one moved.
   */
  async releaseForMigration(
    keyId: string,
  ): Promise<{ info: CustodyKeyInfo; privateKey: KeyObject; sealed: Uint8Array }> {
    const record = await this.record(keyId);
    const privateKey = await this.privateKey(keyId, record);
    return { info: toInfo(record), privateKey, sealed: record.sealed };
  }

  /** Forgets the cached private key of `keyId` (after its record was removed elsewhere). */
  forget(keyId: string): void {
    this.cache.delete(keyId);
  }

  /**
   * Whether an old master key version can be dropped from configuration: refused with
   * `master-key-in-use` while any record is still sealed under it (run resealAll first).
   */
  async assertMasterKeyRetirable(version: number): Promise<void> {
    if (version === this.options.masterKey.version) {
      throw new KeyCustodyError('master-key-in-use', `master key version ${version} is the current one`);
    }
    const count = await this.options.store.countSealedWith(version);
    if (count > 0) {
      throw new KeyCustodyError(
        'master-key-in-use',
        `${count} key(s) are still sealed under master key version ${version}; re-seal them first`,
      );
    }
  }

  private async takeIntoCustody(
    keyId: string,
    purpose: string,
    privateKey: KeyObject,
  ): Promise<CustodyKeyInfo> {
    const publicKey = createPublicKey(privateKey);
    const spec = keySpecOf(publicKey);
    if (!spec)
      throw new KeyCustodyError('unsupported-key-type', 'key is not P-256, P-384, RSA-2048 or RSA-3072');
    const publicKeySpki = publicKey.export({ type: 'spki', format: 'der' });
    const context = { keyId, spec, purpose, createdAt: this.options.now(), publicKeySpki };
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    try {
      const record: SealedKeyRecord = {
        ...context,
        sealed: sealPrivateKey(pkcs8, context, this.options.masterKey),
      };
      await this.options.store.put(record);
      this.remember(keyId, privateKey);
      // The public key derived above, not one re-imported from the record's SPKI (an OpenSSL
      // import costs more than the rest of this method; TO2 takes a key into custody per device).
      return { keyId, spec, purpose, createdAt: context.createdAt, publicKey, publicKeySpki };
    } finally {
      pkcs8.fill(0);
    }
  }

  private async record(keyId: string): Promise<SealedKeyRecord> {
    const record = await this.options.store.get(keyId);
    if (!record) throw new KeyCustodyError('key-not-found', `no key with id ${keyId}`);
    return record;
  }

  private async privateKey(keyId: string, known?: SealedKeyRecord): Promise<KeyObject> {
    const cached = this.cache.get(keyId);
    if (cached && cached.expiresAt > this.options.now().getTime()) return cached.privateKey;
    const record = known ?? (await this.record(keyId));
    const pkcs8 = unsealPrivateKey(record.sealed, record, (version) => this.masterKeys.get(version));
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    } catch (cause) {
      throw new KeyCustodyError('sealed-record-corrupt', `sealed key ${keyId} is not a private key`, {
        cause,
      });
    } finally {
      pkcs8.fill(0);
    }
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    if (!spki.equals(record.publicKeySpki)) {
      throw new KeyCustodyError('sealed-record-corrupt', `sealed key ${keyId} does not match its public key`);
    }
    this.remember(keyId, privateKey);
    return privateKey;
  }

  private remember(keyId: string, privateKey: KeyObject): void {
    this.cache.set(keyId, { privateKey, expiresAt: this.options.now().getTime() + this.cacheTtlMs });
  }
}

function generateKeyPairFor(spec: KeySpec) {
  switch (spec) {
    case 'P-256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'P-384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'RSA-2048':
      return generateKeyPairAsync('rsa', { modulusLength: 2048 });
    case 'RSA-3072':
      return generateKeyPairAsync('rsa', { modulusLength: 3072 });
  }
}

function toInfo(record: SealedKeyRecord): CustodyKeyInfo {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(record.publicKeySpki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new KeyCustodyError('sealed-record-corrupt', `key ${record.keyId} has no valid public key`, {
      cause,
    });
  }
  if (!isKeySpec(record.spec) || keySpecOf(publicKey) !== record.spec) {
    throw new KeyCustodyError(
      'sealed-record-corrupt',
      `key ${record.keyId} is not the ${record.spec} it claims`,
    );
  }
  return {
    keyId: record.keyId,
    spec: record.spec,
    purpose: record.purpose,
    createdAt: record.createdAt,
    publicKey,
    publicKeySpki: record.publicKeySpki,
  };
}
