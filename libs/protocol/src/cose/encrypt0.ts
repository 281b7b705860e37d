import {
  createCipheriv,
  createDecipheriv,
  type CipherCCMTypes,
  type CipherGCMTypes,
  type DecipherCCM,
  type DecipherGCM,
  type CipherCCM,
  type CipherGCM,
} from 'node:crypto';
import {
  asArray,
  asBytes,
  asMap,
  CBOR_TAGS,
  CborError,
  decode,
  encode,
  Tagged,
  type CborValue,
} from '../cbor';

/**
 * COSE_Encrypt0 (RFC 9052 section 5.2, tag 16) with the AEAD algorithms of RFC 9053: AES-GCM and
 * AES-CCM. The IV travels in unprotected header 5; the AAD is the Enc_structure
 * ["Encrypt0", protected, external_aad]. Non-AEAD ciphers (FDO's AES-CTR/CBC suites) build the
 * structure with `encrypt0FromParts` and do their own encryption.
 */

export const CoseAeadAlg = {
  A128GCM: 1,
  A192GCM: 2,
  A256GCM: 3,
  AES_CCM_16_128_128: 30,
  AES_CCM_16_128_256: 31,
  AES_CCM_64_128_128: 32,
  AES_CCM_64_128_256: 33,
} as const;
export type CoseAeadAlg = (typeof CoseAeadAlg)[keyof typeof CoseAeadAlg];

/** COSE header labels this file reads and writes. */
const ALG = 1;
const IV = 5;

type AeadParams = (
  | { readonly mode: 'gcm'; readonly cipher: CipherGCMTypes }
  | { readonly mode: 'ccm'; readonly cipher: CipherCCMTypes }
) & {
  readonly keyLength: number;
  /** GCM: 96-bit IV. CCM: 15 - L bytes, so 13 for L = 2 (the "-16-" algs) and 7 for L = 8 ("-64-"). */
  readonly nonceLength: number;
  /** Largest plaintext the length field L can express (CCM only). */
  readonly maxPlaintext: number;
};

const TAG_LENGTH = 16;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

const AEAD_PARAMS: Record<CoseAeadAlg, AeadParams> = {
  1: { mode: 'gcm', cipher: 'aes-128-gcm', keyLength: 16, nonceLength: 12, maxPlaintext: UNBOUNDED },
  2: { mode: 'gcm', cipher: 'aes-192-gcm', keyLength: 24, nonceLength: 12, maxPlaintext: UNBOUNDED },
  3: { mode: 'gcm', cipher: 'aes-256-gcm', keyLength: 32, nonceLength: 12, maxPlaintext: UNBOUNDED },
  30: { mode: 'ccm', cipher: 'aes-128-ccm', keyLength: 16, nonceLength: 13, maxPlaintext: 0xffff },
  31: { mode: 'ccm', cipher: 'aes-256-ccm', keyLength: 32, nonceLength: 13, maxPlaintext: 0xffff },
  32: { mode: 'ccm', cipher: 'aes-128-ccm', keyLength: 16, nonceLength: 7, maxPlaintext: UNBOUNDED },
  33: { mode: 'ccm', cipher: 'aes-256-ccm', keyLength: 32, nonceLength: 7, maxPlaintext: UNBOUNDED },
};

export function isCoseAeadAlg(alg: unknown): alg is CoseAeadAlg {
  return typeof alg === 'number' && Object.prototype.hasOwnProperty.call(AEAD_PARAMS, alg);
}

/** IV (nonce) length in bytes that an AEAD algorithm requires. */
export function aeadNonceLength(alg: CoseAeadAlg): number {
  return AEAD_PARAMS[alg].nonceLength;
}

/** Key length in bytes that an AEAD algorithm requires. */
export function aeadKeyLength(alg: CoseAeadAlg): number {
  return AEAD_PARAMS[alg].keyLength;
}

export type Encrypt0ErrorCode =
  | 'unsupported-algorithm'
  | 'algorithm-mismatch'
  | 'invalid-key'
  | 'invalid-iv'
  | 'too-large'
  | 'authentication-failed';

/** A COSE_Encrypt0 that is well formed CBOR but cannot be sealed or opened as asked. */
export class Encrypt0Error extends Error {
  override readonly name = 'Encrypt0Error';
  constructor(
    readonly code: Encrypt0ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CoseEncrypt0 {
  /** The protected header bucket exactly as carried (empty, or a serialized map). */
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: Map<CborValue, CborValue>;
  readonly unprotectedHeader: Map<CborValue, CborValue>;
  readonly ciphertext: Uint8Array;
}

function readProtectedBucket(bytes: Uint8Array, what: string): Map<CborValue, CborValue> {
  if (bytes.length === 0) return new Map();
  return asMap(decode(bytes), `${what} protected header`);
}

/** Builds an Encrypt0 from header maps and ciphertext, serializing the protected map deterministically. */
export function encrypt0FromParts(
  protectedHeader: Map<CborValue, CborValue>,
  unprotectedHeader: Map<CborValue, CborValue>,
  ciphertext: Uint8Array,
): CoseEncrypt0 {
  const protectedBytes = protectedHeader.size === 0 ? new Uint8Array(0) : encode(protectedHeader);
  return { protectedBytes, protectedHeader, unprotectedHeader, ciphertext };
}

/**
 * Reads a COSE_Encrypt0 from decoded CBOR: `16([protected, unprotected, ciphertext])`, or the
 * bare array when `requireTag` is false. Detached ciphertext (null) is refused.
 */
export function decodeEncrypt0(value: CborValue, options?: { requireTag?: boolean }): CoseEncrypt0 {
  const what = 'COSE_Encrypt0';
  let body = value;
  if (value instanceof Tagged) {
    if (value.tag !== CBOR_TAGS.coseEncrypt0)
      throw new CborError('unexpected-type', `${what}: expected CBOR tag 16, got ${value.tag}`);
    body = value.value as CborValue;
  } else if (options?.requireTag ?? true) {
    throw new CborError('unexpected-type', `${what}: expected CBOR tag 16`);
  }
  const [protectedValue, unprotectedValue, ciphertextValue] = asArray(body, what, 3);
  const protectedBytes = asBytes(protectedValue!, `${what} protected header`);
  return {
    protectedBytes,
    protectedHeader: readProtectedBucket(protectedBytes, what),
    unprotectedHeader: asMap(unprotectedValue!, `${what} unprotected header`),
    ciphertext: asBytes(ciphertextValue!, `${what} ciphertext`),
  };
}

/** The CBOR value of an Encrypt0, tagged 16 unless `tagged` is false. */
export function encrypt0ToCbor(encrypt0: CoseEncrypt0, options?: { tagged?: boolean }): CborValue {
  const body: CborValue = [encrypt0.protectedBytes, encrypt0.unprotectedHeader, encrypt0.ciphertext];
  return (options?.tagged ?? true) ? new Tagged(CBOR_TAGS.coseEncrypt0, body) : body;
}

/** Enc_structure for COSE_Encrypt0: the AEAD's additional authenticated data. */
export function encStructure(protectedBytes: Uint8Array, externalAad: Uint8Array = new Uint8Array(0)) {
  return encode(['Encrypt0', protectedBytes, externalAad]);
}

/** The algorithm named in the protected header, if any. */
export function encrypt0Alg(encrypt0: CoseEncrypt0): CborValue {
  return encrypt0.protectedHeader.get(ALG);
}

/** The IV from the unprotected header; throws Encrypt0Error when missing or of the wrong length. */
export function encrypt0Iv(encrypt0: CoseEncrypt0, length: number): Uint8Array {
  const iv = encrypt0.unprotectedHeader.get(IV);
  if (!(iv instanceof Uint8Array))
    throw new Encrypt0Error('invalid-iv', 'COSE_Encrypt0: unprotected header 5 (IV) missing');
  if (iv.length !== length)
    throw new Encrypt0Error('invalid-iv', `COSE_Encrypt0: IV must be ${length} bytes, got ${iv.length}`);
  return iv;
}

function aeadParams(alg: number): AeadParams {
  if (!isCoseAeadAlg(alg))
    throw new Encrypt0Error('unsupported-algorithm', `unsupported COSE AEAD algorithm ${alg}`);
  return AEAD_PARAMS[alg];
}

function createAeadCipher(params: AeadParams, key: Uint8Array, iv: Uint8Array): CipherGCM | CipherCCM {
  const options = { authTagLength: TAG_LENGTH };
  return params.mode === 'gcm'
    ? createCipheriv(params.cipher, key, iv, options)
    : createCipheriv(params.cipher, key, iv, options);
}

function createAeadDecipher(params: AeadParams, key: Uint8Array, iv: Uint8Array): DecipherGCM | DecipherCCM {
  const options = { authTagLength: TAG_LENGTH };
  return params.mode === 'gcm'
    ? createDecipheriv(params.cipher, key, iv, options)
    : createDecipheriv(params.cipher, key, iv, options);
}

function checkKey(params: AeadParams, key: Uint8Array): void {
  if (key.length !== params.keyLength)
    throw new Encrypt0Error('invalid-key', `${params.cipher} needs a ${params.keyLength}-byte key`);
}

/** Encrypts plaintext with an AEAD algorithm into an Encrypt0 with protected {1: alg}, unprotected {5: iv}. */
export function sealEncrypt0(
  alg: CoseAeadAlg,
  key: Uint8Array,
  plaintext: Uint8Array,
  iv: Uint8Array,
  externalAad?: Uint8Array,
): CoseEncrypt0 {
  const params = aeadParams(alg);
  checkKey(params, key);
  if (iv.length !== params.nonceLength)
    throw new Encrypt0Error('invalid-iv', `${params.cipher} needs a ${params.nonceLength}-byte IV`);
  if (plaintext.length > params.maxPlaintext)
    throw new Encrypt0Error(
      'too-large',
      `plaintext of ${plaintext.length} bytes exceeds the CCM length field`,
    );
  const shell = encrypt0FromParts(new Map([[ALG, alg]]), new Map([[IV, iv]]), new Uint8Array(0));
  const aad = encStructure(shell.protectedBytes, externalAad);
  const cipher = createAeadCipher(params, key, iv);
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ...shell, ciphertext: new Uint8Array(body.buffer, body.byteOffset, body.length) };
}

/**
 * Decrypts an Encrypt0 sealed with `alg` under `key`. The protected header must name `alg`.
 * Any tampering with protected header, IV, ciphertext, tag or external AAD, and any wrong key,
 * surfaces as Encrypt0Error('authentication-failed').
 */
export function openEncrypt0(
  alg: CoseAeadAlg,
  key: Uint8Array,
  encrypt0: CoseEncrypt0,
  externalAad?: Uint8Array,
): Uint8Array {
  const params = aeadParams(alg);
  checkKey(params, key);
  const named = encrypt0Alg(encrypt0);
  if (named !== alg)
    throw new Encrypt0Error(
      'algorithm-mismatch',
      `COSE_Encrypt0 names algorithm ${String(named)}, expected ${alg}`,
    );
  const iv = encrypt0Iv(encrypt0, params.nonceLength);
  const { ciphertext } = encrypt0;
  if (ciphertext.length < TAG_LENGTH)
    throw new Encrypt0Error('authentication-failed', 'COSE_Encrypt0 ciphertext is shorter than its tag');
  const body = ciphertext.subarray(0, ciphertext.length - TAG_LENGTH);
  const tag = ciphertext.subarray(ciphertext.length - TAG_LENGTH);
  try {
    const decipher = createAeadDecipher(params, key, iv);
    decipher.setAuthTag(tag);
    decipher.setAAD(encStructure(encrypt0.protectedBytes, externalAad), { plaintextLength: body.length });
    const plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  } catch {
    throw new Encrypt0Error('authentication-failed', 'COSE_Encrypt0 did not authenticate');
  }
}
