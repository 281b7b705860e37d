import { createECDH } from 'node:crypto';
import { concatBytes } from '../../cbor';
import { KexError } from './errors';
import { type RandomSource } from '../guid';
import { type KexSharedSecret } from './types';

/**
 * ECDH256 / ECDH384 (FDO 1.1 section 3.6.3). Each side sends
 *
 *   bstr[blen(X), X, blen(Y), Y, blen(Random), Random]     (blen = 2-byte big-endian length)
 *
 * with X and Y the coordinates of a fresh ephemeral public key (fixed width: 32 or 48 bytes, as
 * go-fdo, PRI and the conformance tools send them) and Random 16 bytes for P-256, 48 for P-384.
 * The shared secret is ShSe = Shx || DeviceRandom || OwnerRandom (Shy unused); ContextRand is empty.
 */

export interface EcdhCurve {
  readonly nodeCurve: 'prime256v1' | 'secp384r1';
  readonly coordinateBytes: number;
  readonly randomBytes: number;
  /** Group order n: private scalars are drawn from [1, n-1]. */
  readonly order: bigint;
}

export const ECDH256_CURVE: EcdhCurve = {
  nodeCurve: 'prime256v1',
  coordinateBytes: 32,
  randomBytes: 16,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};

export const ECDH384_CURVE: EcdhCurve = {
  nodeCurve: 'secp384r1',
  coordinateBytes: 48,
  randomBytes: 48,
  order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

export interface EcdhParameter {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  readonly random: Uint8Array;
}

function lengthPrefixed(part: Uint8Array): Uint8Array[] {
  return [Uint8Array.of(part.length >> 8, part.length & 0xff), part];
}

export function encodeEcdhParameter(parameter: EcdhParameter): Uint8Array {
  return concatBytes([
    ...lengthPrefixed(parameter.x),
    ...lengthPrefixed(parameter.y),
    ...lengthPrefixed(parameter.random),
  ]);
}

/**
 * Parses xA / xB. Coordinates shorter than the field width (a peer that strips leading zeros) are
 * left-padded; longer ones, a Random of the wrong size, or trailing bytes are refused.
 */
export function decodeEcdhParameter(bytes: Uint8Array, curve: EcdhCurve): EcdhParameter {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of ['X', 'Y', 'Random']) {
    if (offset + 2 > bytes.length)
      throw new KexError('malformed-parameter', `ECDH parameter truncated before blen(${name})`);
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    offset += 2;
    if (offset + length > bytes.length)
      throw new KexError('malformed-parameter', `ECDH parameter truncated inside ${name}`);
    parts.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) throw new KexError('malformed-parameter', 'ECDH parameter has trailing bytes');
  const [x, y, random] = parts as [Uint8Array, Uint8Array, Uint8Array];
  if (x.length > curve.coordinateBytes || y.length > curve.coordinateBytes)
    throw new KexError('malformed-parameter', `ECDH coordinates exceed ${curve.coordinateBytes} bytes`);
  if (random.length !== curve.randomBytes)
    throw new KexError(
      'malformed-parameter',
      `ECDH random must be ${curve.randomBytes} bytes, got ${random.length}`,
    );
  return { x: leftPad(x, curve.coordinateBytes), y: leftPad(y, curve.coordinateBytes), random };
}

function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Draws a private scalar in [1, n-1] by rejection sampling (one retry in about 2^32 draws). */
function generatePrivateScalar(curve: EcdhCurve, random: RandomSource): Uint8Array {
  for (let attempt = 0; attempt < 16; attempt++) {
    const candidate = random(curve.coordinateBytes);
    const value = toBigInt(candidate);
    if (value > 0n && value < curve.order) return candidate;
  }
  throw new KexError('invalid-state', 'random source produced no valid ECDH private scalar');
}

/** The parameter (xA or xB) for a private scalar and a freshly drawn Random. */
function ownParameter(curve: EcdhCurve, privateScalar: Uint8Array, random: Uint8Array): Uint8Array {
  const ecdh = createECDH(curve.nodeCurve);
  ecdh.setPrivateKey(privateScalar);
  const point = ecdh.getPublicKey(); // 0x04 || X || Y, fixed width
  const n = curve.coordinateBytes;
  return encodeEcdhParameter({ x: point.subarray(1, 1 + n), y: point.subarray(1 + n, 1 + 2 * n), random });
}

function sharedX(curve: EcdhCurve, privateScalar: Uint8Array, peer: EcdhParameter): Uint8Array {
  const ecdh = createECDH(curve.nodeCurve);
  try {
    ecdh.setPrivateKey(privateScalar);
  } catch (err) {
    throw new KexError('invalid-state', 'stored ECDH private scalar is not valid for the curve', {
      cause: err,
    });
  }
  try {
    return ecdh.computeSecret(concatBytes([Uint8Array.of(4), peer.x, peer.y]));
  } catch (err) {
    throw new KexError('invalid-parameter', 'peer ECDH public key is not a point on the curve', {
      cause: err,
    });
  }
}

/** Owner, message 61: a fresh key pair and OwnerRandom. */
export function ecdhOwnerBegin(
  curve: EcdhCurve,
  random: RandomSource,
): { xA: Uint8Array; secret: Uint8Array } {
  const privateScalar = generatePrivateScalar(curve, random);
  return { xA: ownParameter(curve, privateScalar, random(curve.randomBytes)), secret: privateScalar };
}

/** Device, message 64: its own key pair and DeviceRandom, and the shared secret. */
export function ecdhDeviceRespond(
  curve: EcdhCurve,
  xA: Uint8Array,
  random: RandomSource,
): { xB: Uint8Array; secret: KexSharedSecret } {
  const owner = decodeEcdhParameter(xA, curve);
  const privateScalar = generatePrivateScalar(curve, random);
  const deviceRandom = random(curve.randomBytes);
  const xB = ownParameter(curve, privateScalar, deviceRandom);
  const shx = sharedX(curve, privateScalar, owner);
  return {
    xB,
    secret: { shSe: concatBytes([shx, deviceRandom, owner.random]), contextRand: new Uint8Array(0) },
  };
}

/** Owner, on message 64: the same shared secret from its stored scalar and the device's xB. */
export function ecdhOwnerComplete(
  curve: EcdhCurve,
  xA: Uint8Array,
  privateScalar: Uint8Array,
  xB: Uint8Array,
): KexSharedSecret {
  const own = decodeEcdhParameter(xA, curve);
  const device = decodeEcdhParameter(xB, curve);
  const shx = sharedX(curve, privateScalar, device);
  return { shSe: concatBytes([shx, device.random, own.random]), contextRand: new Uint8Array(0) };
}
