import { CoseAeadAlg } from '../../cose/encrypt0';
import { CoseMacAlg } from '../../cose/mac0';
import { type CipherSuite } from '../constants';
import { type KdfHash } from '../kdf';
import { TunnelError } from './errors';

/**
 * The TO2 tunnel cipher suites (FDO 1.1 section 4.4, "Cipher Suite Names and Meanings") and what
 * each needs from the KDF.
 *
 * - AEAD suites (AES-GCM, AES-CCM): one key SEVK; the KDF uses HMAC-SHA256 for all of them, the
 *   256-bit ones included (spec table; FIDO app note 7 discusses it; go-fdo, PRI, fdo-rs agree).
 * - Encrypt-then-MAC suites: AES-CTR or AES-CBC (PKCS#7) with SEK, then HMAC with SVK.
 *   SEK is 16/32 bytes and SVK 32/64 bytes; the KDF output is SEK || SVK with HMAC-SHA256 for the
 *   128-bit suites and HMAC-SHA384 for the 256-bit ones (PRI StandardCryptoService, the FIDO
 *   conformance tools' CipherSuitesInfoMap). go-fdo sizes SVK as 16/32 bytes instead, which makes
 *   its CTR/CBC keys differ from these (EtmKeySizes: both are supported).
 *
 * Ids: COSEAES128CBC = -17760703, COSEAES128CTR = -17760704, COSEAES256CBC = -17760705,
 * COSEAES256CTR = -17760706 (FDO spec IANA section; go-fdo, PRI, fdo-rs, conformance tools).
 */

export interface AeadTunnelCipher {
  readonly kind: 'aead';
  readonly id: CipherSuite;
  readonly name: string;
  readonly aeadAlg: CoseAeadAlg;
  readonly sekLength: number;
  readonly svkLength: 0;
  readonly kdfHash: KdfHash;
}

/**
 * The key-length convention of the encrypt-then-MAC suites: `spec` (SVK 32/64 bytes: the FIDO
 * conformance tools, Intel's client SDK, PRI) or `go-fdo` (SVK 16/32 bytes: go-fdo's mac_alg.go and
 * cipher.go size the MAC key as half the hash). The requested length enters the KDF, so SEK differs
 * too. No effect on AEAD suites.
 */
export type EtmKeySizes = 'spec' | 'go-fdo';
export const ETM_KEY_SIZES: readonly EtmKeySizes[] = ['spec', 'go-fdo'];

export interface EtmTunnelCipher {
  readonly kind: 'etm';
  readonly id: CipherSuite;
  readonly name: string;
  readonly mode: 'ctr' | 'cbc';
  readonly sekLength: 16 | 32;
  /** The spec's SVK length; `goFdoSvkLength` is go-fdo's. */
  readonly svkLength: number;
  readonly goFdoSvkLength: 16 | 32;
  readonly kdfHash: KdfHash;
  readonly macAlg: CoseMacAlg;
  /**
   * Algorithm ids accepted in the inner COSE_Encrypt0's protected header. We send the first (the
   * FDO suite id, as PRI and the conformance tools do); go-fdo may send the RFC 9459 id
   * (A128CTR -65534, A256CTR -65532, A128CBC -65531, A256CBC -65529), so that is accepted too.
   */
  readonly innerAlgs: readonly [number, number];
}

export type TunnelCipher = AeadTunnelCipher | EtmTunnelCipher;

function aead(id: CipherSuite, name: string, aeadAlg: CoseAeadAlg, sekLength: number): AeadTunnelCipher {
  return { kind: 'aead', id, name, aeadAlg, sekLength, svkLength: 0, kdfHash: 'sha256' };
}

function etm(
  id: CipherSuite,
  name: string,
  mode: 'ctr' | 'cbc',
  bits: 128 | 256,
  rfc9459Alg: number,
): EtmTunnelCipher {
  return bits === 128
    ? {
        kind: 'etm',
        id,
        name,
        mode,
        sekLength: 16,
        svkLength: 32,
        goFdoSvkLength: 16,
        kdfHash: 'sha256',
        macAlg: CoseMacAlg.HMAC_SHA256,
        innerAlgs: [id, rfc9459Alg],
      }
    : {
        kind: 'etm',
        id,
        name,
        mode,
        sekLength: 32,
        svkLength: 64,
        goFdoSvkLength: 32,
        kdfHash: 'sha384',
        macAlg: CoseMacAlg.HMAC_SHA384,
        innerAlgs: [id, rfc9459Alg],
      };
}

const CIPHERS: ReadonlyMap<number, TunnelCipher> = new Map(
  [
    aead(1, 'A128GCM', CoseAeadAlg.A128GCM, 16),
    aead(2, 'A192GCM', CoseAeadAlg.A192GCM, 24),
    aead(3, 'A256GCM', CoseAeadAlg.A256GCM, 32),
    aead(30, 'AES-CCM-16-128-128', CoseAeadAlg.AES_CCM_16_128_128, 16),
    aead(31, 'AES-CCM-16-128-256', CoseAeadAlg.AES_CCM_16_128_256, 32),
    aead(32, 'AES-CCM-64-128-128', CoseAeadAlg.AES_CCM_64_128_128, 16),
    aead(33, 'AES-CCM-64-128-256', CoseAeadAlg.AES_CCM_64_128_256, 32),
    etm(-17760703, 'COSEAES128CBC', 'cbc', 128, -65531),
    etm(-17760704, 'COSEAES128CTR', 'ctr', 128, -65534),
    etm(-17760705, 'COSEAES256CBC', 'cbc', 256, -65529),
    etm(-17760706, 'COSEAES256CTR', 'ctr', 256, -65532),
  ].map((cipher) => [cipher.id, cipher]),
);

export function isTunnelCipherSuite(id: unknown): id is CipherSuite {
  return typeof id === 'number' && CIPHERS.has(id);
}

/** The suite's parameters; TunnelError('unsupported-cipher') for an unknown id. */
export function tunnelCipher(id: number): TunnelCipher {
  const cipher = CIPHERS.get(id);
  if (!cipher) throw new TunnelError('unsupported-cipher', `unsupported TO2 cipher suite ${id}`);
  return cipher;
}

/** SEK and SVK lengths of a suite under a key-size convention. */
export function tunnelKeyLengths(suite: TunnelCipher, sizes: EtmKeySizes = 'spec'): [number, number] {
  if (suite.kind === 'aead') return [suite.sekLength, 0];
  return [suite.sekLength, sizes === 'go-fdo' ? suite.goFdoSvkLength : suite.svkLength];
}
