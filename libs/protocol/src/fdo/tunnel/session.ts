import { type CipherSuite } from '../constants';
import { cryptoRandom, type RandomSource } from '../guid';
import { type KexSharedSecret } from '../kex/types';
import { openAeadMessage, sealAeadMessage } from './aead';
import { tunnelCipher, type TunnelCipher } from './cipher-suites';
import { openEtmMessage, sealEtmMessage } from './etm';
import { deriveTunnelKeys, exportTunnelKeys, importTunnelKeys, type TunnelKeys } from './keys';

/**
 * One side of the TO2 encrypted tunnel (messages 64 onwards: the owner's replies from 65, the
 * device's requests from 66). encrypt() turns a message body's CBOR bytes into the body that goes
 * on the wire; decrypt() reverses it and throws TunnelError on anything that does not
 * authenticate. Holds nothing but the keys, so it can be rebuilt per request from stored bytes.
 */
export class TunnelSession {
  private readonly suite: TunnelCipher;
  private readonly random: RandomSource;

  constructor(
    readonly keys: TunnelKeys,
    options?: { readonly random?: RandomSource },
  ) {
    this.suite = tunnelCipher(keys.cipher);
    this.random = options?.random ?? cryptoRandom;
  }

  /** Derives the session keys from the key exchange result (both sides call this). */
  static establish(
    cipher: CipherSuite,
    secret: KexSharedSecret,
    options?: { readonly random?: RandomSource },
  ): TunnelSession {
    return new TunnelSession(deriveTunnelKeys(cipher, secret), options);
  }

  /** Rebuilds a session from `export()` output. TunnelError('invalid-state') if unreadable. */
  static import(bytes: Uint8Array, options?: { readonly random?: RandomSource }): TunnelSession {
    return new TunnelSession(importTunnelKeys(bytes), options);
  }

  export(): Uint8Array {
    return exportTunnelKeys(this.keys);
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    return this.suite.kind === 'aead'
      ? sealAeadMessage(this.suite, this.keys, plaintext, this.random)
      : sealEtmMessage(this.suite, this.keys, plaintext, this.random);
  }

  decrypt(message: Uint8Array): Uint8Array {
    return this.suite.kind === 'aead'
      ? openAeadMessage(this.suite, this.keys, message)
      : openEtmMessage(this.suite, this.keys, message);
  }
}
