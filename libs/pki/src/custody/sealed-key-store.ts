import { type KeySpec } from '../key-spec';

/**
 * One private key as SoftwareKeyCustody stores it. Everything but `sealed` is public metadata, kept
 * in the clear so public-key lookups need no unsealing; all of it is bound into the seal as
 * associated data, so swapping a field between records or editing it makes unsealing fail.
 */
export interface SealedKeyRecord {
  readonly keyId: string;
  readonly spec: KeySpec;
  readonly purpose: string;
  readonly createdAt: Date;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** The sealed PKCS#8 private key; layout in sealing.ts. */
  readonly sealed: Uint8Array;
}

/**
 * Where sealed records live: in memory for tests, a Postgres table in libs/persistence. The store never
 * sees a private key in the clear, so it needs no protection beyond ordinary database access control.
 */
export interface SealedKeyStore {
  /**
   * Inserts a record. Must reject with KeyCustodyError('key-exists') when `keyId` is taken (a unique
   * constraint in SQL), so two replicas creating the same key cannot silently overwrite each other.
   */
  put(record: SealedKeyRecord): Promise<void>;
  get(keyId: string): Promise<SealedKeyRecord | undefined>;
  /** Returns whether a record was there. */
  delete(keyId: string): Promise<boolean>;
  /**
   * Up to `limit` ids of records whose seal names a master key version other than `version` (byte 1
   * of `sealed`, see sealing.ts): what master-key rotation still has to re-seal.
   */
  keyIdsNotSealedWith(version: number, limit: number): Promise<string[]>;
  /** How many records are sealed under master key `version`. */
  countSealedWith(version: number): Promise<number>;
  /**
   * Replaces `sealed` only while it still equals `expected` (compare and swap, so a concurrent
   * re-seal or destroy is never overwritten). Returns whether it replaced.
   */
  replaceSealed(keyId: string, expected: Uint8Array, replacement: Uint8Array): Promise<boolean>;
}
