import { type KexSuite } from '../constants';

/**
 * What a key exchange yields on both sides: the shared secret ShSe and the KDF ContextRand
 * (empty for ECDH and DHKEX, OwnerRandom for ASYMKEX). Feed it to the tunnel key derivation.
 */
export interface KexSharedSecret {
  readonly shSe: Uint8Array;
  readonly contextRand: Uint8Array;
}

/**
 * What the owner must remember between TO2.ProveOVHdr (61), which carries xA, and
 * TO2.ProveDevice (64), which carries xB. Plain bytes: store it with exportOwnerKexState.
 */
export interface OwnerKexState {
  readonly suite: KexSuite;
  /** The xAKeyExchange sent in message 61. */
  readonly xA: Uint8Array;
  /** ECDH: the private scalar. DHKEX: the private exponent. ASYMKEX: OwnerRandom. */
  readonly secret: Uint8Array;
}

/** The owner's first step: xA for message 61, and the state to keep until message 64. */
export interface OwnerKexStart {
  readonly xA: Uint8Array;
  readonly state: OwnerKexState;
}

/** The device's only step: xB for message 64, and the shared secret. */
export interface DeviceKexResult {
  readonly xB: Uint8Array;
  readonly secret: KexSharedSecret;
}
