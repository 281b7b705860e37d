import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { KexError } from './errors';
import { type RandomSource } from '../guid';
import { type KexSharedSecret } from './types';

/**
 * ASYMKEX2048 / ASYMKEX3072 (FDO 1.1 section 3.6, key exchange): the owner sends OwnerRandom in clear as xA
 * (it is covered by the ProveOVHdr signature); the device draws DeviceRandom and sends it
 * encrypted to the owner's RSA key with RSA-OAEP, SHA-256 for both the OAEP hash and MGF1, empty
 * label (go-fdo kex/oaep.go, PRI "RSA/NONE/OAEPWithSHA256AndMGF1Padding"). ShSe = DeviceRandom and
 * ContextRand = OwnerRandom. Both randoms are 256 bits for ASYMKEX2048 and 768 bits for ASYMKEX3072.
 */

export interface AsymKexSize {
  readonly name: 'ASYMKEX2048' | 'ASYMKEX3072';
  readonly randomBytes: number;
}

export const ASYMKEX2048_SIZE: AsymKexSize = { name: 'ASYMKEX2048', randomBytes: 32 };
export const ASYMKEX3072_SIZE: AsymKexSize = { name: 'ASYMKEX3072', randomBytes: 96 };

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

function requireRsaKey(size: AsymKexSize, key: KeyObject | undefined, role: string): KeyObject {
  if (!key) throw new KexError('invalid-key', `${size.name} needs the owner's RSA ${role} key`);
  if (key.asymmetricKeyType !== 'rsa')
    throw new KexError('invalid-key', `${size.name} needs an RSA owner key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Owner, message 61: xA is OwnerRandom itself. */
export function asymOwnerBegin(
  size: AsymKexSize,
  random: RandomSource,
): { xA: Uint8Array; secret: Uint8Array } {
  const ownerRandom = random(size.randomBytes);
  return { xA: ownerRandom, secret: ownerRandom };
}

/** Device, message 64: xB = RSA-OAEP(ownerPublicKey, DeviceRandom). */
export function asymDeviceRespond(
  size: AsymKexSize,
  xA: Uint8Array,
  ownerPublicKey: KeyObject | undefined,
  random: RandomSource,
): { xB: Uint8Array; secret: KexSharedSecret } {
  if (xA.length !== size.randomBytes)
    throw new KexError('malformed-parameter', `${size.name} OwnerRandom must be ${size.randomBytes} bytes`);
  const key = requireRsaKey(size, ownerPublicKey, 'public');
  const deviceRandom = random(size.randomBytes);
  let xB: Buffer;
  try {
    xB = publicEncrypt({ key, ...OAEP }, deviceRandom);
  } catch (err) {
    throw new KexError('invalid-key', `${size.name}: RSA-OAEP encryption to the owner key failed`, {
      cause: err,
    });
  }
  return {
    xB: new Uint8Array(xB.buffer, xB.byteOffset, xB.length),
    secret: { shSe: deviceRandom, contextRand: xA },
  };
}

/** Owner, on message 64: decrypts DeviceRandom with the owner's RSA private key. */
export function asymOwnerComplete(
  size: AsymKexSize,
  ownerRandom: Uint8Array,
  xB: Uint8Array,
  ownerPrivateKey: KeyObject | undefined,
): KexSharedSecret {
  const key = requireRsaKey(size, ownerPrivateKey, 'private');
  let deviceRandom: Buffer;
  try {
    deviceRandom = privateDecrypt({ key, ...OAEP }, xB);
  } catch (err) {
    throw new KexError('invalid-parameter', `${size.name}: xB does not decrypt under the owner key`, {
      cause: err,
    });
  }
  if (deviceRandom.length !== size.randomBytes)
    throw new KexError('invalid-parameter', `${size.name} DeviceRandom must be ${size.randomBytes} bytes`);
  return {
    shSe: new Uint8Array(deviceRandom.buffer, deviceRandom.byteOffset, deviceRandom.length),
    contextRand: ownerRandom,
  };
}
