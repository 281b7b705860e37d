import { CborError, decode, encode } from '../../cbor';
import {
  aeadNonceLength,
  decodeEncrypt0,
  encrypt0ToCbor,
  Encrypt0Error,
  openEncrypt0,
  sealEncrypt0,
} from '../../cose/encrypt0';
import { type RandomSource } from '../guid';
import { type AeadTunnelCipher } from './cipher-suites';
import { TunnelError, type TunnelErrorCode } from './errors';
import { type TunnelKeys } from './keys';

/**
 * AEAD suites on the wire: the whole TO2 message body (its CBOR bytes, not re-wrapped in a bstr)
 * is the plaintext of one tagged COSE_Encrypt0, 16([h'A1 01 alg', {5: IV}, ciphertext || tag]),
 * with a fresh random IV per message and no external AAD. This is what go-fdo sends (see the
 * basic capture, messages 65 to 71).
 */

const ENCRYPT0_ERRORS: Record<Encrypt0Error['code'], TunnelErrorCode> = {
  'unsupported-algorithm': 'invalid-state',
  'invalid-key': 'invalid-state',
  'invalid-iv': 'malformed',
  'algorithm-mismatch': 'algorithm-mismatch',
  'too-large': 'too-large',
  'authentication-failed': 'authentication-failed',
};

export function toTunnelError(err: unknown): unknown {
  if (err instanceof CborError) return new TunnelError('malformed', err.message, { cause: err });
  if (err instanceof Encrypt0Error)
    return new TunnelError(ENCRYPT0_ERRORS[err.code], err.message, { cause: err });
  return err;
}

export function sealAeadMessage(
  cipher: AeadTunnelCipher,
  keys: TunnelKeys,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  try {
    const iv = random(aeadNonceLength(cipher.aeadAlg));
    return encode(encrypt0ToCbor(sealEncrypt0(cipher.aeadAlg, keys.sek, plaintext, iv)));
  } catch (err) {
    throw toTunnelError(err);
  }
}

/** Accepts the tagged form go-fdo sends and the untagged array the FIDO conformance tools send. */
export function openAeadMessage(cipher: AeadTunnelCipher, keys: TunnelKeys, message: Uint8Array): Uint8Array {
  try {
    const encrypt0 = decodeEncrypt0(decode(message), { requireTag: false });
    return openEncrypt0(cipher.aeadAlg, keys.sek, encrypt0);
  } catch (err) {
    throw toTunnelError(err);
  }
}
