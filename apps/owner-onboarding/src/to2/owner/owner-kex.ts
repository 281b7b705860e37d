import { Inject, Injectable } from '@nestjs/common';
import { FdoProtocolError, KEY_CUSTODY } from '@ztp/platform';
import { type KeyCustody, KeyCustodyError, type KeySpec } from '@ztp/pki';
import {
  completeOwner,
  importOwnerKexState,
  KexError,
  type KexSharedSecret,
  KexSuite,
  type OwnerKexState,
} from '@ztp/protocol';

const ASYMKEX_RANDOM_BYTES: Partial<Record<KexSuite, number>> = {
  [KexSuite.ASYMKEX2048]: 32,
  [KexSuite.ASYMKEX3072]: 96,
};

/** The RSA owner key size each ASYMKEX suite is defined for. */
const ASYMKEX_OWNER_KEY: Partial<Record<KexSuite, KeySpec>> = {
  [KexSuite.ASYMKEX2048]: 'RSA-2048',
  [KexSuite.ASYMKEX3072]: 'RSA-3072',
};

/** Whether an owner key of `spec` can run the key exchange `suite` (ASYMKEX encrypts to it). */
export function kexFitsOwnerKey(suite: KexSuite, spec: KeySpec): boolean {
  const needed = ASYMKEX_OWNER_KEY[suite];
  return needed === undefined || needed === spec;
}

export function toFdoError(err: KexError): FdoProtocolError {
  return new FdoProtocolError(err.fdoErrorCode, err.message, { cause: err });
}

/**
 * The owner's last key-exchange step (TO2.ProveDevice). ECDH and DHKEX finish from the stored
 * state; ASYMKEX decrypts the device's random with the owner's RSA key inside key custody
 * (RSA-OAEP, SHA-256 for OAEP and MGF1 as the protocol library's device side and go-fdo use).
 */
@Injectable()
export class OwnerKex {
  constructor(@Inject(KEY_CUSTODY) private readonly custody: KeyCustody) {}

  async complete(stateBytes: Uint8Array, xB: Uint8Array, ownerKeyId: string): Promise<KexSharedSecret> {
    let state: OwnerKexState;
    try {
      state = importOwnerKexState(stateBytes);
      const randomBytes = ASYMKEX_RANDOM_BYTES[state.suite];
      if (randomBytes === undefined) return completeOwner(state, xB);
      let deviceRandom: Uint8Array;
      try {
        deviceRandom = await this.custody.decrypt(ownerKeyId, xB, { hash: 'SHA-256' });
      } catch (err) {
        if (err instanceof KeyCustodyError && err.code === 'decrypt-failed')
          throw FdoProtocolError.invalid(`${state.suite}: xB does not decrypt under the owner key`, err);
        throw err;
      }
      if (deviceRandom.length !== randomBytes)
        throw FdoProtocolError.invalid(`${state.suite}: DeviceRandom must be ${randomBytes} bytes`);
      return { shSe: deviceRandom, contextRand: state.secret };
    } catch (err) {
      if (err instanceof KexError) throw toFdoError(err);
      throw err;
    }
  }
}
