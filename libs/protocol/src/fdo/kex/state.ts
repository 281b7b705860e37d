import { asArray, asBytes, asText, asUint, CborError, decode, encode } from '../../cbor';
import { KexError } from './errors';
import { isKexSuite } from './kex';
import { type OwnerKexState } from './types';

/**
 * Owner key-exchange state as bytes, for the session store between TO2 messages 61 and 64:
 * CBOR [1, suite, xA, secret]. The secret is private key material; store it as such.
 */

const FORMAT_VERSION = 1;

export function exportOwnerKexState(state: OwnerKexState): Uint8Array {
  return encode([FORMAT_VERSION, state.suite, state.xA, state.secret]);
}

export function importOwnerKexState(bytes: Uint8Array): OwnerKexState {
  try {
    const [version, suite, xA, secret] = asArray(decode(bytes), 'owner kex state', 4);
    if (asUint(version!, 'owner kex state version') !== FORMAT_VERSION)
      throw new KexError('invalid-state', 'unknown owner kex state version');
    const name = asText(suite!, 'owner kex state suite');
    if (!isKexSuite(name)) throw new KexError('invalid-state', `owner kex state names unknown suite ${name}`);
    return {
      suite: name,
      xA: asBytes(xA!, 'owner kex state xA'),
      secret: asBytes(secret!, 'owner kex state secret'),
    };
  } catch (err) {
    if (err instanceof CborError) throw new KexError('invalid-state', err.message, { cause: err });
    throw err;
  }
}
