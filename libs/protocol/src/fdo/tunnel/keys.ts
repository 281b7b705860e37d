import { asArray, asBytes, asInt, asUint, CborError, decode, encode } from '../../cbor';
import { type CipherSuite } from '../constants';
import { fdoKdf } from '../kdf';
import { type KexSharedSecret } from '../kex/types';
import { type EtmKeySizes, tunnelCipher, tunnelKeyLengths } from './cipher-suites';
import { TunnelError } from './errors';

/**
 * The TO2 session keys. For AEAD suites `sek` is SEVK and `svk` is empty. Plain bytes, so the
 * owner can keep them in its session store between messages (exportTunnelKeys/importTunnelKeys).
 */
export interface TunnelKeys {
  readonly cipher: CipherSuite;
  readonly sek: Uint8Array;
  readonly svk: Uint8Array;
}

/**
 * Runs the FDO KDF for the suite: output SEK || SVK of the suite's lengths under `sizes` (which
 * only matters for the CBC/CTR suites, see EtmKeySizes).
 */
export function deriveTunnelKeys(
  cipher: CipherSuite,
  secret: KexSharedSecret,
  sizes: EtmKeySizes = 'spec',
): TunnelKeys {
  const suite = tunnelCipher(cipher);
  const [sekLength, svkLength] = tunnelKeyLengths(suite, sizes);
  const material = fdoKdf(suite.kdfHash, secret.shSe, secret.contextRand, sekLength + svkLength);
  return {
    cipher: suite.id,
    sek: material.slice(0, sekLength),
    svk: material.slice(sekLength),
  };
}

const FORMAT_VERSION = 1;

/** CBOR [1, cipher, sek, svk]. Secret key material: store it as such. */
export function exportTunnelKeys(keys: TunnelKeys): Uint8Array {
  return encode([FORMAT_VERSION, keys.cipher, keys.sek, keys.svk]);
}

/** Reads exported keys back, checking that the key lengths fit the cipher suite. */
export function importTunnelKeys(bytes: Uint8Array): TunnelKeys {
  let fields: [number, number, Uint8Array, Uint8Array];
  try {
    const [version, cipher, sek, svk] = asArray(decode(bytes), 'tunnel keys', 4);
    fields = [
      asUint(version!, 'tunnel keys version'),
      asInt(cipher!, 'tunnel keys cipher'),
      asBytes(sek!, 'tunnel keys SEK'),
      asBytes(svk!, 'tunnel keys SVK'),
    ];
  } catch (err) {
    if (err instanceof CborError) throw new TunnelError('invalid-state', err.message, { cause: err });
    throw err;
  }
  const [version, cipher, sek, svk] = fields;
  if (version !== FORMAT_VERSION)
    throw new TunnelError('invalid-state', `unknown tunnel keys version ${version}`);
  let suite;
  try {
    suite = tunnelCipher(cipher);
  } catch (err) {
    throw new TunnelError('invalid-state', `stored tunnel keys name unknown cipher suite ${cipher}`, {
      cause: err,
    });
  }
  const fits = (sizes: EtmKeySizes) => {
    const [sekLength, svkLength] = tunnelKeyLengths(suite, sizes);
    return sek.length === sekLength && svk.length === svkLength;
  };
  if (!fits('spec') && !fits('go-fdo'))
    throw new TunnelError('invalid-state', `stored tunnel keys do not fit ${suite.name}`);
  return { cipher: suite.id, sek, svk };
}
