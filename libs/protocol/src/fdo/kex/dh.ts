import { createDiffieHellman } from 'node:crypto';
import { KexError } from './errors';
import { type RandomSource } from '../guid';
import { type KexSharedSecret } from './types';

/**
 * DHKEXid14 / DHKEXid15 (FDO 1.1 section 3.6, key exchange): finite-field Diffie-Hellman over the RFC 3526
 * MODP groups 14 (2048-bit) and 15 (3072-bit), generator 2. Private exponents are 256 and 768
 * bits (go-fdo kex/dh.go). xA = g^a mod p and xB = g^b mod p as unsigned big-endian bytes
 * without leading zeros; ShSe = (g^ab mod p) left-padded to the prime's length; ContextRand is
 * empty.
 */

export interface DhGroup {
  readonly name: 'DHKEXid14' | 'DHKEXid15';
  readonly prime: Buffer;
  readonly primeValue: bigint;
  readonly exponentBytes: number;
}

const RFC3526_PREFIX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510';

/** RFC 3526 section 3, 2048-bit MODP group. */
const GROUP14_HEX = `${RFC3526_PREFIX}15728E5A8AACAA68FFFFFFFFFFFFFFFF`;

/** RFC 3526 section 4, 3072-bit MODP group. */
const GROUP15_HEX =
  `${RFC3526_PREFIX}15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7D` +
  'B3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64' +
  '521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CA' +
  'FFFFFFFFFFFFFFFF';

function group(name: DhGroup['name'], hex: string, exponentBytes: number): DhGroup {
  return { name, prime: Buffer.from(hex, 'hex'), primeValue: BigInt(`0x${hex}`), exponentBytes };
}

export const DH_GROUP14 = group('DHKEXid14', GROUP14_HEX, 32);
export const DH_GROUP15 = group('DHKEXid15', GROUP15_HEX, 96);

const GENERATOR = Buffer.of(2);

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** A fresh private exponent (never zero) and its public value g^x mod p. */
function keyPair(group: DhGroup, random: RandomSource): { exponent: Uint8Array; publicValue: Uint8Array } {
  let exponent = random(group.exponentBytes);
  for (let attempt = 0; toBigInt(exponent) < 2n; attempt++) {
    if (attempt === 16) throw new KexError('invalid-state', 'random source produced no usable DH exponent');
    exponent = random(group.exponentBytes);
  }
  const dh = createDiffieHellman(group.prime, GENERATOR);
  dh.setPrivateKey(Buffer.from(exponent));
  const publicValue = dh.generateKeys();
  // generateKeys keeps a private key that was set; guard against a runtime that draws its own.
  if (!dh.getPrivateKey().equals(Buffer.from(stripLeadingZeros(exponent))))
    throw new KexError('invalid-state', 'DH key generation ignored the chosen private exponent');
  return { exponent, publicValue: stripLeadingZeros(asBytes(publicValue)) };
}

/**
 * g^(own * peer) mod p, after checking the peer value lies in [2, p-2] and the result is neither
 * 1 nor p-1 (NIST SP 800-56A rev. 3, 5.6.2.3.1 and 5.7.1.1, as go-fdo checks).
 */
function sharedSecret(group: DhGroup, exponent: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  const peer = stripLeadingZeros(peerPublic);
  if (peerPublic.length === 0 || peer.length > group.prime.length)
    throw new KexError(
      'malformed-parameter',
      `${group.name} public value must be 1..${group.prime.length} bytes`,
    );
  const peerValue = toBigInt(peer);
  if (peerValue < 2n || peerValue > group.primeValue - 2n)
    throw new KexError('invalid-parameter', `${group.name} public value is outside [2, p-2]`);
  const dh = createDiffieHellman(group.prime, GENERATOR);
  dh.setPrivateKey(Buffer.from(exponent));
  let secret: Buffer;
  try {
    secret = dh.computeSecret(Buffer.from(peer));
  } catch (err) {
    throw new KexError('invalid-parameter', `${group.name} public value was rejected`, { cause: err });
  }
  const secretValue = toBigInt(secret);
  if (secretValue <= 1n || secretValue === group.primeValue - 1n)
    throw new KexError('invalid-parameter', `${group.name} shared secret is degenerate`);
  const padded = new Uint8Array(group.prime.length);
  padded.set(secret, padded.length - secret.length);
  return padded;
}

/** Owner, message 61. */
export function dhOwnerBegin(group: DhGroup, random: RandomSource): { xA: Uint8Array; secret: Uint8Array } {
  const { exponent, publicValue } = keyPair(group, random);
  return { xA: publicValue, secret: exponent };
}

/** Device, message 64. */
export function dhDeviceRespond(
  group: DhGroup,
  xA: Uint8Array,
  random: RandomSource,
): { xB: Uint8Array; secret: KexSharedSecret } {
  const { exponent, publicValue } = keyPair(group, random);
  return {
    xB: publicValue,
    secret: { shSe: sharedSecret(group, exponent, xA), contextRand: new Uint8Array(0) },
  };
}

/** Owner, on message 64. */
export function dhOwnerComplete(group: DhGroup, exponent: Uint8Array, xB: Uint8Array): KexSharedSecret {
  return { shSe: sharedSecret(group, exponent, xB), contextRand: new Uint8Array(0) };
}
