import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { asArray, asBytes, asInt, asMap, CborError, decode, encode, RawCbor, type CborValue } from '../cbor';
import { CryptoError } from '../crypto/errors';
import { computeFdoHash, type FdoDigest } from '../crypto/fdo-hash';
import { keyProfile, publicKeysEqual, toPublicKey } from '../crypto/keys';
import { PkEnc, PkType, SigAlg } from './constants';
import { DecodedKeyCache, type DecodedKeyMaterial } from './public-key-cache';

const decodedKeys = new DecodedKeyCache();

/**
 * An FDO PublicKey `[pkType, pkEnc, body]` (FDO 1.1 3.3.4), decoded to a KeyObject. `bytes` is the
 * CBOR of the whole structure exactly as received (or as produced), because the device hashes it.
 */
export interface FdoPublicKey {
  readonly type: PkType;
  readonly encoding: PkEnc;
  readonly key: KeyObject;
  /** X5CHAIN only: the certificates, leaf first. The key is the leaf's. */
  readonly chain: readonly X509Certificate[] | null;
  readonly bytes: Uint8Array;
}

const PK_TYPES: ReadonlySet<number> = new Set(Object.values(PkType));
const PK_TYPE_NAMES = new Map<number, string>(Object.entries(PkType).map(([name, value]) => [value, name]));
const PK_ENC_NAMES = new Map<number, string>(Object.entries(PkEnc).map(([name, value]) => [value, name]));

export function pkTypeName(type: number): string {
  return PK_TYPE_NAMES.get(type) ?? String(type);
}

export function pkEncName(encoding: number): string {
  return PK_ENC_NAMES.get(encoding) ?? String(encoding);
}

/** COSE_Key labels and values used here (RFC 9052 section 7, RFC 9053 section 7). */
const CoseKey = {
  kty: 1,
  crvOrN: -1,
  xOrE: -2,
  y: -3,
  ktyEC2: 2,
  ktyRSA: 3,
  crvP256: 1,
  crvP384: 2,
} as const;

/**
 * Signature algorithms a key of this pkType may sign voucher entries and messages with.
 * RSA2048RESTR is PKCS#1 v1.5 with SHA-256 only; RSAPKCS allows RS256 and RS384; RSAPSS means PSS.
 */
export function sigAlgsForPkType(type: number): readonly SigAlg[] {
  switch (type) {
    case PkType.SECP256R1:
      return [SigAlg.ES256];
    case PkType.SECP384R1:
      return [SigAlg.ES384];
    case PkType.RSA2048RESTR:
      return [SigAlg.RS256];
    case PkType.RSAPKCS:
      return [SigAlg.RS256, SigAlg.RS384];
    case PkType.RSAPSS:
      return [SigAlg.PS256, SigAlg.PS384];
    default:
      return [];
  }
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;

/** Why key cannot stand for pkType, or null when it can. */
function pkTypeMismatch(type: number, key: KeyObject): string | null {
  const profile = keyProfile(key);
  switch (type) {
    case PkType.SECP256R1:
      return profile.kind === 'ec' && profile.curve === 'P-256' ? null : 'SECP256R1 needs an EC P-256 key';
    case PkType.SECP384R1:
      return profile.kind === 'ec' && profile.curve === 'P-384' ? null : 'SECP384R1 needs an EC P-384 key';
    case PkType.RSA2048RESTR:
      return profile.kind === 'rsa' && profile.bits === 2048 && !profile.pssOnly
        ? null
        : 'RSA2048RESTR needs a 2048-bit RSA key';
    case PkType.RSAPKCS:
    case PkType.RSAPSS:
      if (profile.kind !== 'rsa') return `${pkTypeName(type)} needs an RSA key`;
      if (profile.bits < MIN_RSA_BITS || profile.bits > MAX_RSA_BITS)
        return `RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, not ${profile.bits}`;
      return profile.pssOnly && type === PkType.RSAPKCS ? 'an RSASSA-PSS key cannot be RSAPKCS' : null;
    default:
      return `unsupported pkType ${type}`;
  }
}

/** Whether key (public or private) is of the family and size pkType names. */
export function keyFitsPkType(type: number, key: KeyObject): boolean {
  return pkTypeMismatch(type, key) === null;
}

export interface PkTypeChoice {
  /**
   * RSA keys: which pkType to claim. Default RSAPKCS (PKCS#1 v1.5, any supported size), the type
   * go-fdo and PRI use for RSA owner and manufacturer keys; RSA2048RESTR is the 2048-bit-only type,
   * which go-fdo's devices claim for 2048-bit device keys (its server takes RSAPKCS devices to be
   * 3072-bit; the device simulator follows go-fdo, see runDeviceInitialize); RSAPSS makes every
   * signature along the voucher PSS. id-RSASSA-PSS keys are always RSAPSS.
   */
  rsa?: 'RSAPKCS' | 'RSA2048RESTR' | 'RSAPSS';
}

/** The pkType for a key: P-256 -> SECP256R1, P-384 -> SECP384R1, RSA -> per `choice.rsa`. */
export function pkTypeForKey(key: KeyObject, choice: PkTypeChoice = {}): PkType {
  const profile = keyProfile(key);
  if (profile.kind === 'ec') return profile.curve === 'P-256' ? PkType.SECP256R1 : PkType.SECP384R1;
  const type = profile.pssOnly ? PkType.RSAPSS : PkType[choice.rsa ?? 'RSAPKCS'];
  const mismatch = pkTypeMismatch(type, key);
  if (mismatch) throw new CryptoError('invalid-key', mismatch);
  return type;
}

function invalidKey(what: string, err: unknown): CryptoError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CryptoError('invalid-key', `${what}: ${reason}`, { cause: err });
}

function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw invalidKey(what, err);
  }
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** Left-pads an EC coordinate: go-fdo writes big.Int bytes, which drop leading zero bytes. */
function coordinate(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (bytes.length > size)
    throw new CryptoError('invalid-key', `${what}: coordinate longer than ${size} bytes`);
  const out = new Uint8Array(size);
  out.set(bytes, size - bytes.length);
  return out;
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function coseKeyToKeyObject(body: CborValue): KeyObject {
  const map = asMap(body, 'COSE_Key');
  const field = (label: number, what: string) => {
    const value = map.get(label);
    if (value === undefined) throw new CborError('unexpected-type', `COSE_Key: missing ${what}`);
    return value;
  };
  const kty = asInt(field(CoseKey.kty, 'kty'), 'COSE_Key kty');
  try {
    if (kty === CoseKey.ktyEC2) {
      const crv = asInt(field(CoseKey.crvOrN, 'crv'), 'COSE_Key crv');
      if (crv !== CoseKey.crvP256 && crv !== CoseKey.crvP384)
        throw new CryptoError('invalid-key', `COSE_Key: unsupported curve ${crv}`);
      const size = crv === CoseKey.crvP256 ? 32 : 48;
      const x = coordinate(asBytes(field(CoseKey.xOrE, 'x'), 'COSE_Key x'), size, 'COSE_Key x');
      const y = coordinate(asBytes(field(CoseKey.y, 'y'), 'COSE_Key y'), size, 'COSE_Key y');
      const jwk = {
        kty: 'EC',
        crv: crv === CoseKey.crvP256 ? 'P-256' : 'P-384',
        x: base64url(x),
        y: base64url(y),
      };
      return createPublicKey({ key: jwk, format: 'jwk' });
    }
    if (kty === CoseKey.ktyRSA) {
      const n = stripLeadingZeros(asBytes(field(CoseKey.crvOrN, 'n'), 'COSE_Key n'));
      const e = stripLeadingZeros(asBytes(field(CoseKey.xOrE, 'e'), 'COSE_Key e'));
      return createPublicKey({ key: { kty: 'RSA', n: base64url(n), e: base64url(e) }, format: 'jwk' });
    }
  } catch (err) {
    if (err instanceof CryptoError || err instanceof CborError) throw err;
    throw invalidKey('COSE_Key', err);
  }
  throw new CryptoError('invalid-key', `COSE_Key: unsupported kty ${kty}`);
}

function keyObjectToCoseKey(key: KeyObject): CborValue {
  const profile = keyProfile(key);
  if (profile.kind === 'rsa' && profile.pssOnly)
    throw new CryptoError('invalid-key', 'an RSASSA-PSS key cannot be written as a COSE_Key; use X509');
  const jwk = toPublicKey(key).export({ format: 'jwk' });
  const bytes = (b64: string | undefined) => new Uint8Array(Buffer.from(b64 ?? '', 'base64url'));
  if (profile.kind === 'ec') {
    const crv = profile.curve === 'P-256' ? CoseKey.crvP256 : CoseKey.crvP384;
    return new Map<CborValue, CborValue>([
      [CoseKey.kty, CoseKey.ktyEC2],
      [CoseKey.crvOrN, crv],
      [CoseKey.xOrE, bytes(jwk.x)],
      [CoseKey.y, bytes(jwk.y)],
    ]);
  }
  return new Map<CborValue, CborValue>([
    [CoseKey.kty, CoseKey.ktyRSA],
    [CoseKey.crvOrN, bytes(jwk.n)],
    [CoseKey.xOrE, bytes(jwk.e)],
  ]);
}

function spkiToKeyObject(der: Uint8Array): KeyObject {
  try {
    return createPublicKey({
      key: Buffer.from(der.buffer, der.byteOffset, der.length),
      format: 'der',
      type: 'spki',
    });
  } catch (err) {
    throw invalidKey('X509 public key', err);
  }
}

function readBody(encoding: number, body: CborValue): DecodedKeyMaterial {
  switch (encoding) {
    case PkEnc.X509:
      return { key: spkiToKeyObject(asBytes(body, 'PublicKey X509 body')), chain: null };
    case PkEnc.X5CHAIN: {
      // COSE x5chain: an array of DER certificates, leaf first (a lone certificate may be a bare bstr).
      const ders = body instanceof Uint8Array ? [body] : asArray(body, 'PublicKey X5CHAIN body');
      if (ders.length === 0) throw new CryptoError('invalid-key', 'X5CHAIN public key has no certificates');
      const chain = ders.map((der, i) =>
        parseCertificate(asBytes(der, `X5CHAIN certificate ${i}`), `X5CHAIN certificate ${i}`),
      );
      return { key: chain[0]!.publicKey, chain };
    }
    case PkEnc.COSEKEY:
      return { key: coseKeyToKeyObject(body), chain: null };
    case PkEnc.Crypto:
      throw new CryptoError('invalid-key', 'PublicKey encoding Crypto (EPID) is not supported');
    default:
      throw new CryptoError('invalid-key', `unsupported PublicKey encoding ${encoding}`);
  }
}

/**
 * Reads a PublicKey from a decoded value, keeping `bytes` as given (or re-encoded when not given).
 * The key must fit the pkType (SECP384R1 with a P-384 key, and so on).
 */
export function publicKeyFromCbor(value: CborValue, bytes?: Uint8Array): FdoPublicKey {
  const [typeValue, encodingValue, body] = asArray(value, 'PublicKey', 3);
  const type = asInt(typeValue!, 'PublicKey pkType');
  const encoding = asInt(encodingValue!, 'PublicKey pkEnc');
  if (!PK_TYPES.has(type)) throw new CryptoError('invalid-key', `unsupported pkType ${type}`);
  const exact = bytes ?? encode(value);
  let material = decodedKeys.get(exact);
  if (!material) {
    material = readBody(encoding, body!);
    const mismatch = pkTypeMismatch(type, material.key);
    if (mismatch)
      throw new CryptoError('invalid-key', `PublicKey body does not match its pkType: ${mismatch}`);
    decodedKeys.set(exact, material);
  }
  return {
    type: type as PkType,
    encoding: encoding as PkEnc,
    key: material.key,
    chain: material.chain,
    bytes: exact,
  };
}

/** Decodes a PublicKey from its exact CBOR bytes (kept in the result). */
export function decodePublicKey(bytes: Uint8Array): FdoPublicKey {
  return publicKeyFromCbor(decode(bytes), bytes);
}

export interface EncodePublicKeyOptions extends PkTypeChoice {
  /** pkType to claim; default pkTypeForKey(key, options). Must fit the key. */
  type?: PkType;
  /** For a bare key: X509 (DER SubjectPublicKeyInfo, default) or COSEKEY. Certificates are X5CHAIN. */
  encoding?: typeof PkEnc.X509 | typeof PkEnc.COSEKEY;
}

/**
 * Builds a PublicKey from a KeyObject (public, or private for its public half) or from a
 * certificate chain, leaf first (X5CHAIN; the key is the leaf's).
 */
export function encodePublicKey(
  source: KeyObject | readonly X509Certificate[],
  options: EncodePublicKeyOptions = {},
): FdoPublicKey {
  const isChain = Array.isArray(source);
  const chain = isChain ? (source as readonly X509Certificate[]) : null;
  if (chain && chain.length === 0)
    throw new CryptoError('invalid-key', 'an X5CHAIN public key needs a certificate');
  const key = chain ? chain[0]!.publicKey : toPublicKey(source as KeyObject);
  const type = options.type ?? pkTypeForKey(key, options);
  const mismatch = pkTypeMismatch(type, key);
  if (mismatch) throw new CryptoError('invalid-key', mismatch);
  let encoding: PkEnc;
  let body: CborValue;
  if (chain) {
    encoding = PkEnc.X5CHAIN;
    body = chain.map((cert) => new Uint8Array(cert.raw));
  } else if (options.encoding === PkEnc.COSEKEY) {
    encoding = PkEnc.COSEKEY;
    body = keyObjectToCoseKey(key);
  } else {
    encoding = PkEnc.X509;
    body = new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  }
  const bytes = encode([type, encoding, body]);
  // A key this process just encoded is often decoded again soon (TO2 writes the Owner2Key it made
  // into the replacement voucher): the decode then finds the KeyObject instead of importing it anew.
  if (!chain) decodedKeys.set(bytes, { key, chain: null });
  return { type, encoding, key, chain: chain ? [...chain] : null, bytes };
}

/** The PublicKey as a CBOR value that re-emits its exact bytes when encoded. */
export function publicKeyToCbor(publicKey: FdoPublicKey): RawCbor {
  return new RawCbor(publicKey.bytes);
}

/** Whether two keys are the same public key, whatever their encodings. */
export function samePublicKey(a: FdoPublicKey | KeyObject, b: FdoPublicKey | KeyObject): boolean {
  const keyOf = (k: FdoPublicKey | KeyObject) => ('bytes' in k ? k.key : k);
  return publicKeysEqual(keyOf(a), keyOf(b));
}

/**
 * Hash of the PublicKey's exact CBOR bytes: what a device stores as the manufacturer key hash
 * (DeviceCredential PublicKeyHash) and compares in TO2.
 */
export function publicKeyHash(publicKey: FdoPublicKey, alg: number): FdoDigest {
  return computeFdoHash(alg, publicKey.bytes);
}
