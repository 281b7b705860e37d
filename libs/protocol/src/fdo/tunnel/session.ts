import { type CipherSuite } from '../constants';
import { cryptoRandom, type RandomSource } from '../guid';
import { type KexSharedSecret } from '../kex/types';
import { openAeadMessage, sealAeadMessage } from './aead';
import { ETM_KEY_SIZES, type EtmKeySizes, tunnelCipher, type TunnelCipher } from './cipher-suites';
import { TunnelError } from './errors';
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
    options?: { readonly random?: RandomSource; readonly keySizes?: EtmKeySizes },
  ): TunnelSession {
    return new TunnelSession(deriveTunnelKeys(cipher, secret, options?.keySizes), options);
  }

  /**
   * Derives the session keys and opens the first encrypted message with them. For the CBC/CTR
   * suites, whose key lengths go-fdo and the spec disagree on (EtmKeySizes), the other convention
   * is tried when `prefer`'s keys do not authenticate; the session returned keeps the keys that did.
   * AEAD suites derive once. TunnelError when no convention opens the message.
   */
  static openFirst(
    cipher: CipherSuite,
    secret: KexSharedSecret,
    message: Uint8Array,
    options?: { readonly random?: RandomSource; readonly prefer?: EtmKeySizes },
  ): { session: TunnelSession; plaintext: Uint8Array; keySizes: EtmKeySizes } {
    const prefer = options?.prefer ?? 'spec';
    const order =
      tunnelCipher(cipher).kind === 'aead'
        ? [prefer]
        : [prefer, ...ETM_KEY_SIZES.filter((s) => s !== prefer)];
    let first: unknown;
    for (const keySizes of order) {
      const session = new TunnelSession(deriveTunnelKeys(cipher, secret, keySizes), options);
      try {
        return { session, plaintext: session.decrypt(message), keySizes };
      } catch (err) {
        // Only a MAC that fails says "other keys": anything else is the message's own fault.
        if (!(err instanceof TunnelError) || err.code !== 'authentication-failed') throw err;
        first ??= err;
      }
    }
    throw first;
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
