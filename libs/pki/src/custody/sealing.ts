import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyCustodyError } from '../errors';
import { type KeySpec } from '../key-spec';

/**
 * Sealing of private keys at rest, envelope style: each key gets its own random 256-bit data key;
 * the PKCS#8 body is AES-256-GCM encrypted under the data key, and the data key is AES-256-GCM
 * wrapped under the master key.
 *
 * Why an envelope rather than sealing the body directly under the master key: the master key only
 * ever encrypts 32 random bytes, so (1) rotating it re-wraps 48-byte data keys without touching the
 * key bodies, and (2) a later adapter that keeps the master key in a KMS or HSM changes only the wrap
 * step (one KMS call per key load), the record format stays. Both layers bind the record's metadata
 * (key id, spec, purpose, creation time, public key) as associated data, so a sealed body cannot be
 * moved to another record or have its metadata edited.
 *
 * Layout, format 1 (all offsets in bytes):
 *   0   1   format = 0x01
 *   1   1   master key version (1..255) that wrapped the data key; rotation keeps old versions to unseal
 *   2   8   master key check value: HMAC-SHA256(master key, "ztp-pki master key check")[0..8], which
 *           tells a wrong master key (a configuration mistake) apart from a damaged record
 *  10  12   nonce of the data-key wrap
 *  22  48   wrapped data key: 32 bytes ciphertext + 16 bytes GCM tag
 *  70  12   nonce of the body
 *  82   n   encrypted PKCS#8 DER, followed by its 16-byte GCM tag
 */
export const SEALED_KEY_FORMAT = 0x01;

export interface MasterKey {
  /** 1..255, stored in each record so a rotated-out key can still unseal what it wrapped. */
  readonly version: number;
  /** 32 random bytes from configuration. */
  readonly key: Uint8Array;
}

/** The record fields a seal is bound to. */
export interface SealContext {
  readonly keyId: string;
  readonly spec: KeySpec;
  readonly purpose: string;
  readonly createdAt: Date;
  readonly publicKeySpki: Uint8Array;
}

const NONCE = 12;
const TAG = 16;
const DATA_KEY = 32;
const CHECK = 8;
const HEADER = 2 + CHECK;
const WRAPPED_END = HEADER + NONCE + DATA_KEY + TAG;
const BODY_START = WRAPPED_END + NONCE;
const CHECK_LABEL = 'ztp-pki master key check';
const AAD_LABEL = 'ztp-pki sealed private key';

export function assertValidMasterKey(master: MasterKey): void {
  if (!Number.isInteger(master.version) || master.version < 1 || master.version > 255) {
    throw new KeyCustodyError('invalid-master-key', 'master key version must be an integer 1..255');
  }
  if (master.key.length !== 32) {
    throw new KeyCustodyError('invalid-master-key', 'master key must be exactly 32 bytes');
  }
}

export function masterKeyCheckValue(master: MasterKey): Buffer {
  return createHmac('sha256', master.key).update(CHECK_LABEL).digest().subarray(0, CHECK);
}

export function sealPrivateKey(pkcs8: Uint8Array, context: SealContext, master: MasterKey): Uint8Array {
  const header = Buffer.concat([Buffer.of(SEALED_KEY_FORMAT, master.version), masterKeyCheckValue(master)]);
  const aad = associatedData(header, context);
  const dataKey = randomBytes(DATA_KEY);
  try {
    const wrapNonce = randomBytes(NONCE);
    const wrapped = gcmEncrypt(master.key, wrapNonce, aad, dataKey);
    const bodyNonce = randomBytes(NONCE);
    const body = gcmEncrypt(dataKey, bodyNonce, aad, pkcs8);
    return Buffer.concat([header, wrapNonce, wrapped, bodyNonce, body]);
  } finally {
    dataKey.fill(0);
  }
}

/** Returns the PKCS#8 DER. `masterKeyFor` looks up a configured master key by version. */
export function unsealPrivateKey(
  sealed: Uint8Array,
  context: SealContext,
  masterKeyFor: (version: number) => MasterKey | undefined,
): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < BODY_START + TAG || blob[0] !== SEALED_KEY_FORMAT) {
    throw new KeyCustodyError('sealed-record-corrupt', `sealed key ${context.keyId} has an unknown format`);
  }
  const version = blob[1]!;
  const master = masterKeyFor(version);
  if (!master) {
    throw new KeyCustodyError(
      'unknown-master-key-version',
      `sealed key ${context.keyId} needs master key version ${version}, which is not configured`,
    );
  }
  if (!timingSafeEqual(blob.subarray(2, HEADER), masterKeyCheckValue(master))) {
    throw new KeyCustodyError(
      'master-key-mismatch',
      `the configured master key version ${version} is not the one that sealed key ${context.keyId}`,
    );
  }
  const aad = associatedData(blob.subarray(0, HEADER), context);
  const dataKey = gcmDecrypt(
    master.key,
    blob.subarray(HEADER, HEADER + NONCE),
    aad,
    blob.subarray(HEADER + NONCE, WRAPPED_END),
    context.keyId,
  );
  try {
    return gcmDecrypt(
      dataKey,
      blob.subarray(WRAPPED_END, BODY_START),
      aad,
      blob.subarray(BODY_START),
      context.keyId,
    );
  } finally {
    dataKey.fill(0);
  }
}

function gcmEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  keyId: string,
): Buffer {
  if (sealed.length < TAG) {
    throw new KeyCustodyError('sealed-record-corrupt', `sealed key ${keyId} is truncated`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
  } catch (cause) {
    throw new KeyCustodyError('sealed-record-corrupt', `sealed key ${keyId} failed authentication`, {
      cause,
    });
  }
}

/** Label, header, then each context field length-prefixed, so no two contexts encode alike. */
function associatedData(header: Uint8Array, context: SealContext): Buffer {
  const fields = [
    Buffer.from(context.keyId, 'utf8'),
    Buffer.from(context.spec, 'utf8'),
    Buffer.from(context.purpose, 'utf8'),
    Buffer.from(String(context.createdAt.getTime()), 'utf8'),
    context.publicKeySpki,
  ];
  const parts: Uint8Array[] = [Buffer.from(AAD_LABEL, 'utf8'), header];
  for (const field of fields) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(field.length);
    parts.push(length, field);
  }
  return Buffer.concat(parts);
}
