import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fdoKdf, fdoKdfFixedInput, kdfCounterHmac, type KdfHash } from './kdf';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SP 800-108 counter mode with HMAC, 8-bit counter before the fixed input', () => {
  // NIST CAVP KBKDF vectors, [PRF=HMAC_SHA256] [CTRLOCATION=BEFORE_FIXED] [RLEN=8_BITS].
  const CAVP = [
    {
      l: 128,
      ki: '2ce3a4a13bbf845a38999ef3c2a68385355fbbb0d6997c0bea7c3fecdc7f6745',
      fixed:
        '8505879d9c93d0b66a29a4d334c257a7824538ebcf151c0b55de0b757dda28fd462c17cbdd8b529f9c183b786385499ff61fa1b736fb1579cf2f8e88',
      ko: 'ee9a34656d9d98384f49d35f088cd674',
    },
    {
      l: 512,
      ki: 'a486b3eb053570b3b99efddcbc76685c0b53f398d581ffd8f9f372e85132d0f0',
      fixed:
        '3cc25799712eeb86a96f2c4abe68c4f0ba767411e8d9f9771a9e9c9085c84129ef8be7105e9542bad5798c4672a3d7cc30f35ecfcbc4b470e260e9a5',
      ko: '08751581291d5a4109cb10244b7a42363f0e175bce0fcd1207ec8a5ca829d80022521e8d0fa8231ce975039062e1744cc52cad7fbdc126740c905bbc0bc4a764',
    },
    {
      l: 560,
      ki: 'd2f212cf90659f2069a43e9f7f7b102172470406658d8324b9edff6ac7a7fe52',
      fixed:
        'd2d694e8f4fb4ade0e70d88222742cff975baf6622db8745fcd473793258a97e965feadd5491e4661ff18aa4f398914e9f0ffaf90738f04b158bfe9c',
      ko: '0ed1f3374d5bd9fa131af8ec168faae23c4d9e3c5e5788439ced314e8a7e46c4c5eee9ed2c7bb484bd86f99cb97906fd2efd5ffbdcaf0d8dce92f4bbd3f0fd0a79713285557d',
    },
  ];

  it.each(CAVP)('reproduces the CAVP HMAC_SHA256 vector with L = $l', (vector) => {
    expect(toHex(kdfCounterHmac('sha256', hex(vector.ki), hex(vector.fixed), vector.l / 8))).toBe(vector.ko);
  });

  it('refuses lengths the 8-bit counter cannot reach', () => {
    expect(() => kdfCounterHmac('sha256', new Uint8Array(32), new Uint8Array(0), 0)).toThrow(RangeError);
    expect(() => kdfCounterHmac('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).toThrow(
      RangeError,
    );
    expect(kdfCounterHmac('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32).length).toBe(255 * 32);
  });
});

describe('FDO KDF', () => {
  it('reproduces go-fdo internal/nistkdf TestKnownResult (ECDH256 ShSe, SHA-256, 256 bits)', () => {
    const shSe = hex(
      '08c9dc0cc5e9dd2558a12ae60cd00670d01a09cca52bae8a671a21e1babdb25bc21963c48b4aa77bb8ed338f0c5a15efee069ce10a09be2aacf857b8dcd9df8e',
    );
    expect(toHex(fdoKdf('sha256', shSe, new Uint8Array(0), 32))).toBe(
      'e5e959c8cbdd5989c819f7ea8c69bcb3f70a442830ba235c5aa0b4047d0cda0b',
    );
  });

  it('lays out the fixed input as "FIDO-KDF" 00 "AutomaticOnboardTunnel" ContextRand [L]_2', () => {
    const fixed = fdoKdfFixedInput(Uint8Array.of(0xaa, 0xbb), 96);
    expect(toHex(fixed)).toBe(
      Buffer.from('FIDO-KDF').toString('hex') +
        '00' +
        Buffer.from('AutomaticOnboardTunnel').toString('hex') +
        'aabb' +
        '0300', // 96 bytes = 768 bits
    );
    expect(() => fdoKdfFixedInput(new Uint8Array(0), 8192)).toThrow(RangeError);
  });

  /** The KDF written out the way the spec text reads, one PRF call per block, for cross-checking. */
  function straightforwardKdf(hash: KdfHash, shSe: Uint8Array, contextRand: Uint8Array, bytes: number) {
    const bits = bytes * 8;
    let out = Buffer.alloc(0);
    for (let i = 1; out.length < bytes; i++) {
      const input = Buffer.concat([
        Buffer.from([i]),
        Buffer.from('FIDO-KDF', 'ascii'),
        Buffer.from([0]),
        Buffer.from('AutomaticOnboardTunnel', 'ascii'),
        Buffer.from(contextRand),
        Buffer.from([(bits >> 8) & 0xff, bits & 0xff]),
      ]);
      out = Buffer.concat([out, createHmac(hash, shSe).update(input).digest()]);
    }
    return toHex(out.subarray(0, bytes));
  }

  it.each([
    ['sha256', 16, 0],
    ['sha256', 48, 0],
    ['sha256', 48, 32],
    ['sha384', 96, 0],
    ['sha384', 96, 96],
    ['sha384', 100, 3],
  ] as const)(
    '%s, %i bytes, %i-byte ContextRand matches the written-out definition',
    (hash, bytes, randLength) => {
      const shSe = Uint8Array.from({ length: 144 }, (_, i) => (i * 31 + 7) & 0xff);
      const contextRand = Uint8Array.from({ length: randLength }, (_, i) => (i * 13 + 1) & 0xff);
      expect(toHex(fdoKdf(hash, shSe, contextRand, bytes))).toBe(
        straightforwardKdf(hash, shSe, contextRand, bytes),
      );
    },
  );

  it('pins a SHA-384 vector (self-computed with the definition above) so regressions show', () => {
    const shSe = Uint8Array.from({ length: 48 }, (_, i) => i);
    expect(toHex(fdoKdf('sha384', shSe, Uint8Array.of(1, 2, 3), 96))).toBe(
      'd57b76941a8837d136f977d589cd63d5f1f487c77126a236b0bca7ba20f551d10e59dcfea3f7a46f355c5f68f488be40' +
        'e90492ccf1f8be7ae685d4caf9733e1abd3a5dbf25907836425a5c793fd541c193c59c3dbb2851d9ade4616445f1e62c',
    );
  });
});
