import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes, decode, encode, type CborValue } from '../../cbor';
import {
  decodeEncrypt0,
  encrypt0Alg,
  encrypt0FromParts,
  encrypt0Iv,
  encrypt0ToCbor,
} from '../../cose/encrypt0';
import { createMac0, decodeMac0, mac0ToCbor, Mac0Error, verifyMac0 } from '../../cose/mac0';
import { type RandomSource } from '../guid';
import { toTunnelError } from './aead';
import { type EtmTunnelCipher } from './cipher-suites';
import { TunnelError } from './errors';
import { type TunnelKeys } from './keys';

/**
 * Encrypt-then-MAC suites on the wire (FDO 1.1 section 4.4; go-fdo kex/crypter.go):
 *
 *   17([h'A1 01 hmacAlg', {}, bstr(inner), hmac])          COSE_Mac0, HMAC with SVK over
 *   inner = [h'A1 01 encAlg', {5: IV}, ciphertext]          MAC_structure; untagged COSE_Encrypt0
 *
 * The inner Encrypt0 carries AES-CTR or AES-CBC (PKCS#7) output under SEK; it has no AAD. IVs
 * are 16 bytes and fresh per message: CBC takes 16 random bytes; CTR takes 12 random bytes and a
 * 4-byte block counter starting at zero (the spec's layout, without state kept across messages).
 */

const IV_BYTES = 16;
const IV_LABEL = 5;
const ALG_LABEL = 1;

function nodeCipher(cipher: EtmTunnelCipher): string {
  return `aes-${cipher.sekLength * 8}-${cipher.mode}`;
}

function freshIv(cipher: EtmTunnelCipher, random: RandomSource): Uint8Array {
  if (cipher.mode === 'cbc') return random(IV_BYTES);
  return concatBytes([random(12), new Uint8Array(4)]);
}

export function sealEtmMessage(
  cipher: EtmTunnelCipher,
  keys: TunnelKeys,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const iv = freshIv(cipher, random);
  const aes = createCipheriv(nodeCipher(cipher), keys.sek, iv);
  const ciphertext = Buffer.concat([aes.update(plaintext), aes.final()]);
  // With go-fdo's key sizes the peer is go-fdo: write the inner header as it does (RFC 9459 id,
  // unprotected); otherwise as PRI and the conformance tools (the FDO suite id, protected).
  const goFdo = keys.svk.length === cipher.goFdoSvkLength;
  const inner = encrypt0FromParts(
    goFdo
      ? new Map<CborValue, CborValue>()
      : new Map<CborValue, CborValue>([[ALG_LABEL, cipher.innerAlgs[0]]]),
    goFdo
      ? new Map<CborValue, CborValue>([
          [ALG_LABEL, cipher.innerAlgs[1]],
          [IV_LABEL, iv],
        ])
      : new Map<CborValue, CborValue>([[IV_LABEL, iv]]),
    new Uint8Array(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length),
  );
  const innerBytes = encode(encrypt0ToCbor(inner, { tagged: false }));
  return encode(mac0ToCbor(createMac0(cipher.macAlg, keys.svk, innerBytes)));
}

/** Verifies the MAC before touching the ciphertext, so padding is never checked on forged input. */
export function openEtmMessage(cipher: EtmTunnelCipher, keys: TunnelKeys, message: Uint8Array): Uint8Array {
  let iv: Uint8Array;
  let ciphertext: Uint8Array;
  try {
    const mac0 = decodeMac0(decode(message), { requireTag: false });
    verifyMac0(cipher.macAlg, keys.svk, mac0);
    const inner = decodeEncrypt0(decode(mac0.payload), { requireTag: false });
    // go-fdo's inner COSE_Encrypt0 names its algorithm (the RFC 9459 id) in the unprotected header
    // and leaves the protected one empty; the outer MAC covers both.
    const alg = encrypt0Alg(inner) ?? inner.unprotectedHeader.get(ALG_LABEL);
    if (typeof alg !== 'number' || !cipher.innerAlgs.includes(alg))
      throw new TunnelError(
        'algorithm-mismatch',
        `inner COSE_Encrypt0 names ${String(alg)}, not ${cipher.name}`,
      );
    iv = encrypt0Iv(inner, IV_BYTES);
    ciphertext = inner.ciphertext;
  } catch (err) {
    if (err instanceof Mac0Error)
      throw new TunnelError(
        err.code === 'algorithm-mismatch' ? 'algorithm-mismatch' : 'authentication-failed',
        err.message,
        { cause: err },
      );
    throw toTunnelError(err);
  }
  try {
    const aes = createDecipheriv(nodeCipher(cipher), keys.sek, iv);
    const plaintext = Buffer.concat([aes.update(ciphertext), aes.final()]);
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  } catch (err) {
    // Only reachable with a valid MAC: the peer itself encrypted something that is not PKCS#7.
    throw new TunnelError('malformed', `${cipher.name} ciphertext does not decrypt`, { cause: err });
  }
}
