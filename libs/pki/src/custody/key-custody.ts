import { type KeyObject } from 'node:crypto';
import { type SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { type KeySpec } from '../key-spec';

/** What custody tells about a key it holds. Never the private part. */
export interface CustodyKeyInfo {
  readonly keyId: string;
  readonly spec: KeySpec;
  /** Free label saying what the key is for, e.g. `root-ca`, `owner:tenant-42`. */
  readonly purpose: string;
  readonly createdAt: Date;
  readonly publicKey: KeyObject;
  /** The public key as DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
}

/** OAEP parameters for `decrypt`: FDO ASYMKEX2048 uses SHA-256, ASYMKEX3072 SHA-384. */
export interface RsaOaepParams {
  readonly hash: 'SHA-256' | 'SHA-384';
}

/**
 * The key custody port: private keys are created, used and destroyed here and never handed out.
 * Callers name keys by id and get signatures, decryptions and public keys back.
 *
 * Adapters: SoftwareKeyCustody (sealed at rest under a master key). An HSM (PKCS#11) or cloud KMS
 * adapter implements the same methods with the key inside the device; `signer()` is all certificate
 * issuance needs, so such an adapter plugs into the CA unchanged.
 *
 * Left out until a caller needs it: key agreement. FDO ECDH/DH key exchange uses an ephemeral
 * per-session key, not a custodied one; a custodied agreement would be added here as
 * `deriveSharedSecret(keyId, peerPublicKey)` (PKCS#11 C_DeriveKey, KMS DeriveSharedSecret).
 */
export interface KeyCustody {
  /** Generates a new key under `keyId`. Fails with `key-exists` if the id is taken. */
  generateKey(request: { keyId: string; spec: KeySpec; purpose: string }): Promise<CustodyKeyInfo>;
  /** Takes an existing private key into custody. The caller should drop its own copy afterwards. */
  importKey(request: { keyId: string; privateKey: KeyObject; purpose: string }): Promise<CustodyKeyInfo>;
  /** Fails with `key-not-found` for an unknown id. */
  describeKey(keyId: string): Promise<CustodyKeyInfo>;
  publicKey(keyId: string): Promise<KeyObject>;
  /**
   * A Signer for the key: COSE-form signatures (P1363 for ECDSA), which is also the WebCrypto form
   * X.509 issuance consumes. `alg` defaults to the key's natural algorithm (ES256, ES384, RS256 for
   * RSA-2048, RS384 for RSA-3072); an algorithm that does not fit the key is `unsupported-algorithm`.
   * Each sign() goes back to custody, so a destroyed key stops signing.
   */
  signer(keyId: string, alg?: SigAlg): Promise<Signer>;
  /** RSA-OAEP decryption (owner side of ASYMKEX). `decrypt-failed` when the ciphertext does not open. */
  decrypt(keyId: string, ciphertext: Uint8Array, params: RsaOaepParams): Promise<Uint8Array>;
  /** Removes the key for good. Fails with `key-not-found` for an unknown id. */
  destroyKey(keyId: string): Promise<void>;
}
