import { type KeyObject } from 'node:crypto';
import { KexSuite } from '../constants';
import {
  ASYMKEX2048_SIZE,
  ASYMKEX3072_SIZE,
  asymDeviceRespond,
  asymOwnerBegin,
  asymOwnerComplete,
} from './asym';
import { DH_GROUP14, DH_GROUP15, dhDeviceRespond, dhOwnerBegin, dhOwnerComplete } from './dh';
import { ECDH256_CURVE, ECDH384_CURVE, ecdhDeviceRespond, ecdhOwnerBegin, ecdhOwnerComplete } from './ecdh';
import { KexError } from './errors';
import { cryptoRandom, type RandomSource } from '../guid';
import { type DeviceKexResult, type KexSharedSecret, type OwnerKexStart, type OwnerKexState } from './types';

/**
 * The TO2 key exchange for all six FDO 1.1 suites, owner and device side:
 *
 *   owner  (61): beginOwner(suite)                 -> xA, state (store it)
 *   device (64): deviceRespond(suite, xA)          -> xB, shared secret
 *   owner  (64): completeOwner(state, xB)          -> the same shared secret
 *
 * ASYMKEX needs the owner's RSA key: public on the device side, private on the owner side.
 */

export interface KexOptions {
  /** Source of private keys and randoms; the OS CSPRNG by default. */
  readonly random?: RandomSource;
}

const SUITES = new Set<string>(Object.values(KexSuite));

export function isKexSuite(name: unknown): name is KexSuite {
  return typeof name === 'string' && SUITES.has(name);
}

function requireSuite(suite: unknown): KexSuite {
  if (!isKexSuite(suite))
    throw new KexError('unsupported-suite', `unsupported key exchange suite ${String(suite)}`);
  return suite;
}

/** Owner side, when answering TO2.HelloDevice: xAKeyExchange for TO2.ProveOVHdr. */
export function beginOwner(suite: KexSuite, options?: KexOptions): OwnerKexStart {
  const random = options?.random ?? cryptoRandom;
  const { xA, secret } = ownerBegin(requireSuite(suite), random);
  return { xA, state: { suite, xA, secret } };
}

function ownerBegin(suite: KexSuite, random: RandomSource): { xA: Uint8Array; secret: Uint8Array } {
  switch (suite) {
    case KexSuite.ECDH256:
      return ecdhOwnerBegin(ECDH256_CURVE, random);
    case KexSuite.ECDH384:
      return ecdhOwnerBegin(ECDH384_CURVE, random);
    case KexSuite.DHKEXid14:
      return dhOwnerBegin(DH_GROUP14, random);
    case KexSuite.DHKEXid15:
      return dhOwnerBegin(DH_GROUP15, random);
    case KexSuite.ASYMKEX2048:
      return asymOwnerBegin(ASYMKEX2048_SIZE, random);
    case KexSuite.ASYMKEX3072:
      return asymOwnerBegin(ASYMKEX3072_SIZE, random);
  }
}

/** Device side, on TO2.ProveOVHdr: xBKeyExchange for TO2.ProveDevice, and the shared secret. */
export function deviceRespond(
  suite: KexSuite,
  xA: Uint8Array,
  options?: KexOptions & { readonly ownerPublicKey?: KeyObject },
): DeviceKexResult {
  const random = options?.random ?? cryptoRandom;
  switch (requireSuite(suite)) {
    case KexSuite.ECDH256:
      return ecdhDeviceRespond(ECDH256_CURVE, xA, random);
    case KexSuite.ECDH384:
      return ecdhDeviceRespond(ECDH384_CURVE, xA, random);
    case KexSuite.DHKEXid14:
      return dhDeviceRespond(DH_GROUP14, xA, random);
    case KexSuite.DHKEXid15:
      return dhDeviceRespond(DH_GROUP15, xA, random);
    case KexSuite.ASYMKEX2048:
      return asymDeviceRespond(ASYMKEX2048_SIZE, xA, options?.ownerPublicKey, random);
    case KexSuite.ASYMKEX3072:
      return asymDeviceRespond(ASYMKEX3072_SIZE, xA, options?.ownerPublicKey, random);
  }
}

/** Owner side, on TO2.ProveDevice: the shared secret from the stored state and the device's xB. */
export function completeOwner(
  state: OwnerKexState,
  xB: Uint8Array,
  options?: { readonly ownerPrivateKey?: KeyObject },
): KexSharedSecret {
  switch (requireSuite(state.suite)) {
    case KexSuite.ECDH256:
      return ecdhOwnerComplete(ECDH256_CURVE, state.xA, state.secret, xB);
    case KexSuite.ECDH384:
      return ecdhOwnerComplete(ECDH384_CURVE, state.xA, state.secret, xB);
    case KexSuite.DHKEXid14:
      return dhOwnerComplete(DH_GROUP14, state.secret, xB);
    case KexSuite.DHKEXid15:
      return dhOwnerComplete(DH_GROUP15, state.secret, xB);
    case KexSuite.ASYMKEX2048:
      return asymOwnerComplete(ASYMKEX2048_SIZE, state.secret, xB, options?.ownerPrivateKey);
    case KexSuite.ASYMKEX3072:
      return asymOwnerComplete(ASYMKEX3072_SIZE, state.secret, xB, options?.ownerPrivateKey);
  }
}
