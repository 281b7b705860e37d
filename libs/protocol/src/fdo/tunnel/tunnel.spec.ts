import { createHash, createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, Tagged, type CborValue } from '../../cbor';
import { ErrorCode, KexSuite, type CipherSuite } from '../constants';
import { type RandomSource } from '../guid';
import { fdoKdf } from '../kdf';
import { beginOwner, completeOwner, deviceRespond } from '../kex/kex';
import { type KexSharedSecret } from '../kex/types';
import { tunnelCipher } from './cipher-suites';
import { TunnelError } from './errors';
import { deriveTunnelKeys, exportTunnelKeys, importTunnelKeys } from './keys';
import { TunnelSession } from './session';

const KEX_SUITES = Object.values(KexSuite);
/** Every suite by its FDO id; constants.ts names are not used for the CBC/CTR ids on purpose. */
const CIPHERS: CipherSuite[] = [1, 2, 3, 30, 31, 32, 33, -17760703, -17760704, -17760705, -17760706];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
}

function tunnelFailure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TunnelError) return `${err.code}/${err.fdoErrorCode}`;
    throw err;
  }
  return 'no error';
}

/** A TO2.DeviceServiceInfo-shaped body, plus edge sizes for CBC padding and CTR blocks. */
const MESSAGES = [
  encode([true, [['devmod:active', Uint8Array.of(0xf5)]]]),
  Uint8Array.of(0x80),
  new Uint8Array(16).fill(0x41),
  new Uint8Array(3000).map((_, i) => i & 0xff),
];

describe('TO2 tunnel: every key exchange with every cipher suite', () => {
  const secrets = new Map<KexSuite, { owner: KexSharedSecret; device: KexSharedSecret }>();

  beforeAll(() => {
    // One RSA key per ASYMKEX size and one exchange per suite, for the whole file.
    const rsa: Record<string, { publicKey: KeyObject; privateKey: KeyObject }> = {
      [KexSuite.ASYMKEX2048]: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      [KexSuite.ASYMKEX3072]: generateKeyPairSync('rsa', { modulusLength: 3072 }),
    };
    for (const suite of KEX_SUITES) {
      const { xA, state } = beginOwner(suite);
      const device = deviceRespond(suite, xA, { ownerPublicKey: rsa[suite]?.publicKey });
      const owner = completeOwner(state, device.xB, { ownerPrivateKey: rsa[suite]?.privateKey });
      secrets.set(suite, { owner, device: device.secret });
    }
  }, 60_000);

  describe.each(KEX_SUITES)('%s', (suite) => {
    it.each(CIPHERS)('cipher %i: same keys on both sides, messages pass both ways', (cipher) => {
      const { owner, device } = secrets.get(suite)!;
      const ownerTunnel = TunnelSession.establish(cipher, owner);
      const deviceTunnel = TunnelSession.establish(cipher, device);
      const info = tunnelCipher(cipher);
      expect(ownerTunnel.keys.sek.length).toBe(info.sekLength);
      expect(ownerTunnel.keys.svk.length).toBe(info.svkLength);
      expect(hex(ownerTunnel.keys.sek) + hex(ownerTunnel.keys.svk)).toBe(
        hex(deviceTunnel.keys.sek) + hex(deviceTunnel.keys.svk),
      );
      for (const message of MESSAGES) {
        expect(hex(ownerTunnel.decrypt(deviceTunnel.encrypt(message)))).toBe(hex(message));
        expect(hex(deviceTunnel.decrypt(ownerTunnel.encrypt(message)))).toBe(hex(message));
      }
      expect(hex(ownerTunnel.encrypt(MESSAGES[0]!))).not.toBe(hex(ownerTunnel.encrypt(MESSAGES[0]!)));
    });
  });
});

describe('tunnel keys', () => {
  const secret: KexSharedSecret = { shSe: new Uint8Array(64).fill(5), contextRand: Uint8Array.of(1, 2) };

  it.each([
    [1, 16, 0, 'sha256'],
    [2, 24, 0, 'sha256'],
    [3, 32, 0, 'sha256'],
    [30, 16, 0, 'sha256'],
    [31, 32, 0, 'sha256'],
    [32, 16, 0, 'sha256'],
    [33, 32, 0, 'sha256'],
    [-17760703, 16, 32, 'sha256'],
    [-17760704, 16, 32, 'sha256'],
    [-17760705, 32, 64, 'sha384'],
    [-17760706, 32, 64, 'sha384'],
  ] as const)(
    'cipher %i: SEK %i bytes, SVK %i bytes, KDF with %s, output split SEK || SVK',
    (cipher, sek, svk, hash) => {
      const keys = deriveTunnelKeys(cipher, secret);
      const material = fdoKdf(hash, secret.shSe, secret.contextRand, sek + svk);
      expect(hex(keys.sek)).toBe(hex(material.subarray(0, sek)));
      expect(hex(keys.svk)).toBe(hex(material.subarray(sek)));
      expect(keys.cipher).toBe(cipher);
    },
  );

  it('exports and imports as bytes, and refuses unreadable or inconsistent stored keys', () => {
    const tunnel = TunnelSession.establish(-17760706, secret);
    const restored = TunnelSession.import(tunnel.export());
    expect(restored.keys).toEqual(tunnel.keys);
    expect(hex(restored.decrypt(tunnel.encrypt(MESSAGES[0]!)))).toBe(hex(MESSAGES[0]!));
    const invalid = `invalid-state/${ErrorCode.InternalServerError}`;
    const keys = tunnel.keys;
    expect(tunnelFailure(() => importTunnelKeys(Uint8Array.of(0x01)))).toBe(invalid);
    expect(tunnelFailure(() => importTunnelKeys(encode([1, 99, keys.sek, keys.svk])))).toBe(invalid);
    expect(tunnelFailure(() => importTunnelKeys(encode([2, keys.cipher, keys.sek, keys.svk])))).toBe(invalid);
    expect(tunnelFailure(() => importTunnelKeys(encode([1, keys.cipher, keys.svk, keys.sek])))).toBe(invalid);
    expect(tunnelFailure(() => importTunnelKeys(encode([1, 1, keys.sek, keys.svk])))).toBe(invalid);
    expect(exportTunnelKeys(importTunnelKeys(tunnel.export()))).toEqual(tunnel.export());
  });

  it('refuses a cipher suite it does not implement', () => {
    expect(tunnelFailure(() => TunnelSession.establish(99 as CipherSuite, secret))).toBe(
      `unsupported-cipher/${ErrorCode.MessageBodyError}`,
    );
  });
});

describe('tunnel wire format', () => {
  const secret: KexSharedSecret = { shSe: new Uint8Array(48).fill(9), contextRand: new Uint8Array(0) };
  const message = MESSAGES[0]!;

  it("AEAD suites send 16([h'A1 01 alg', {5: IV}, ciphertext || tag]) over the bare message bytes", () => {
    for (const [cipher, protectedHex, ivLength] of [
      [1, 'a10101', 12],
      [3, 'a10103', 12],
      [30, 'a101181e', 13],
      [33, 'a1011821', 7],
    ] as const) {
      const wire = decode(TunnelSession.establish(cipher, secret).encrypt(message)) as Tagged;
      expect(wire.tag).toBe(16);
      const [protectedBytes, unprotected, ciphertext] = wire.value as [
        Uint8Array,
        Map<number, Uint8Array>,
        Uint8Array,
      ];
      expect(hex(protectedBytes)).toBe(protectedHex);
      expect([...unprotected.keys()]).toEqual([5]);
      expect(unprotected.get(5)!.length).toBe(ivLength);
      expect(ciphertext.length).toBe(message.length + 16);
    }
  });

  it('is deterministic given the random source (IVs come only from it)', () => {
    const a = new TunnelSession(deriveTunnelKeys(1, secret), { random: seededRandom('iv') });
    const b = new TunnelSession(deriveTunnelKeys(1, secret), { random: seededRandom('iv') });
    expect(hex(a.encrypt(message))).toBe(hex(b.encrypt(message)));
  });

  it.each([
    [-17760703, 'a10105', '3a010f01be', 'cbc'],
    [-17760704, 'a10105', '3a010f01bf', 'ctr'],
    [-17760705, 'a10106', '3a010f01c0', 'cbc'],
    [-17760706, 'a10106', '3a010f01c1', 'ctr'],
  ] as const)(
    "cipher %i: 17([h'%s', {}, bstr(inner Encrypt0), hmac]) with alg %s inside",
    (cipher, macHeader, alg, mode) => {
      const wire = decode(TunnelSession.establish(cipher, secret).encrypt(message)) as Tagged;
      expect(wire.tag).toBe(17);
      const [protectedBytes, unprotected, payload, tag] = wire.value as [
        Uint8Array,
        Map<number, unknown>,
        Uint8Array,
        Uint8Array,
      ];
      expect(hex(protectedBytes)).toBe(macHeader);
      expect(unprotected.size).toBe(0);
      expect(tag.length).toBe(macHeader === 'a10105' ? 32 : 48);
      const inner = decode(payload) as [Uint8Array, Map<number, Uint8Array>, Uint8Array];
      expect(Array.isArray(inner)).toBe(true);
      expect(hex(inner[0])).toBe(`a101${alg}`);
      const iv = inner[1].get(5)!;
      expect(iv.length).toBe(16);
      if (mode === 'ctr') {
        expect(hex(iv.subarray(12))).toBe('00000000');
        expect(inner[2].length).toBe(message.length);
      } else {
        expect(inner[2].length).toBe(Math.ceil((message.length + 1) / 16) * 16);
      }
    },
  );
});

describe('tunnel failures', () => {
  const secret: KexSharedSecret = { shSe: new Uint8Array(32).fill(1), contextRand: new Uint8Array(0) };
  const other: KexSharedSecret = { shSe: new Uint8Array(32).fill(2), contextRand: new Uint8Array(0) };
  const message = MESSAGES[0]!;
  const failed = `authentication-failed/${ErrorCode.InvalidMessageError}`;
  const malformed = `malformed/${ErrorCode.MessageBodyError}`;
  const mismatch = `algorithm-mismatch/${ErrorCode.InvalidMessageError}`;

  const flip = (bytes: Uint8Array, at: number) => Uint8Array.from(bytes, (b, i) => (i === at ? b ^ 1 : b));
  /** Re-encodes a decoded wire message after `edit` changes one member of the top-level array. */
  const rewrite = (wire: Uint8Array, edit: (items: CborValue[]) => void, tagged = true) => {
    const value = decode(wire) as Tagged;
    const items = [...(value.value as CborValue[])];
    edit(items);
    return encode(tagged ? new Tagged(value.tag, items) : items);
  };

  it.each(CIPHERS)(
    'cipher %i: tampered ciphertext, tag or IV, or a wrong key, fail to authenticate',
    (cipher) => {
      const sender = TunnelSession.establish(cipher, secret);
      const receiver = TunnelSession.establish(cipher, secret);
      const wire = sender.encrypt(message);
      const etm = tunnelCipher(cipher).kind === 'etm';
      expect(tunnelFailure(() => receiver.decrypt(wire))).toBe('no error');
      // Member 2 is the ciphertext (AEAD) or the MACed payload (ETM); the tag is the end of the
      // AEAD ciphertext or member 3 of the Mac0.
      expect(
        tunnelFailure(() => receiver.decrypt(rewrite(wire, (i) => (i[2] = flip(i[2] as Uint8Array, 0))))),
      ).toBe(failed);
      const tagIndex = etm ? 3 : 2;
      const last = (bytes: Uint8Array) => flip(bytes, bytes.length - 1);
      expect(
        tunnelFailure(() =>
          receiver.decrypt(rewrite(wire, (i) => (i[tagIndex] = last(i[tagIndex] as Uint8Array)))),
        ),
      ).toBe(failed);
      if (!etm) {
        const iv = (decode(wire) as Tagged).value as CborValue[];
        const changedIv = new Map([[5, flip((iv[1] as Map<number, Uint8Array>).get(5)!, 0)]]);
        expect(tunnelFailure(() => receiver.decrypt(rewrite(wire, (i) => (i[1] = changedIv))))).toBe(failed);
      } else {
        // The IV sits inside the MACed payload: changing it changes the payload bytes.
        const payload = ((decode(wire) as Tagged).value as CborValue[])[2] as Uint8Array;
        const inner = decode(payload) as CborValue[];
        const iv = (inner[1] as Map<number, Uint8Array>).get(5)!;
        const changed = encode([inner[0]!, new Map([[5, flip(iv, 0)]]), inner[2]!]);
        expect(tunnelFailure(() => receiver.decrypt(rewrite(wire, (i) => (i[2] = changed))))).toBe(failed);
      }
      expect(tunnelFailure(() => TunnelSession.establish(cipher, other).decrypt(wire))).toBe(failed);
    },
  );

  it.each(CIPHERS)('cipher %i: garbage and wrong structures are malformed, never a crash', (cipher) => {
    const receiver = TunnelSession.establish(cipher, secret);
    for (const junk of [
      new Uint8Array(0),
      Uint8Array.of(0xff),
      encode('hello'),
      encode([1, 2, 3]),
      encode(new Tagged(16, [1])),
    ])
      expect(tunnelFailure(() => receiver.decrypt(junk))).toBe(malformed);
    const wire = receiver.encrypt(message);
    expect(tunnelFailure(() => receiver.decrypt(wire.subarray(0, wire.length - 1)))).toBe(malformed);
    // An AEAD message offered to an encrypt-then-MAC session and the other way round.
    const foreign = TunnelSession.establish(
      tunnelCipher(cipher).kind === 'etm' ? 1 : -17760704,
      secret,
    ).encrypt(message);
    expect(tunnelFailure(() => receiver.decrypt(foreign))).toBe(malformed);
  });

  it('AEAD: a missing IV is malformed, another algorithm is refused, untagged is accepted', () => {
    const tunnel = TunnelSession.establish(1, secret);
    const wire = tunnel.encrypt(message);
    expect(tunnelFailure(() => tunnel.decrypt(rewrite(wire, (i) => (i[1] = new Map()))))).toBe(malformed);
    expect(
      tunnelFailure(() => tunnel.decrypt(rewrite(wire, (i) => (i[0] = Uint8Array.of(0xa1, 0x01, 0x03))))),
    ).toBe(mismatch);
    expect(hex(tunnel.decrypt(rewrite(wire, () => undefined, false)))).toBe(hex(message));
  });

  it('ETM: a MAC algorithm or inner algorithm of another suite is refused; RFC 9459 ids are accepted', () => {
    const keys = deriveTunnelKeys(-17760704, secret);
    const tunnel = new TunnelSession(keys);
    const wire = tunnel.encrypt(message);
    expect(
      tunnelFailure(() => tunnel.decrypt(rewrite(wire, (i) => (i[0] = Uint8Array.of(0xa1, 0x01, 0x06))))),
    ).toBe(mismatch);
    expect(hex(tunnel.decrypt(rewrite(wire, () => undefined, false)))).toBe(hex(message));

    // Rebuild the inner Encrypt0 with another algorithm id and a valid MAC over it.
    const reMac = (innerAlg: number) => {
      const outer = (decode(wire) as Tagged).value as CborValue[];
      const inner = decode(outer[2] as Uint8Array) as CborValue[];
      const payload = encode([encode(new Map([[1, innerAlg]])), inner[1]!, inner[2]!]);
      const protectedBytes = outer[0] as Uint8Array;
      const mac = createHmacTag(keys.svk, protectedBytes, payload);
      return encode(new Tagged(17, [protectedBytes, new Map(), payload, mac]));
    };
    expect(hex(tunnel.decrypt(reMac(-65534)))).toBe(hex(message)); // A128CTR (RFC 9459), as go-fdo may send
    expect(tunnelFailure(() => tunnel.decrypt(reMac(-65531)))).toBe(mismatch); // A128CBC under a CTR suite
    expect(tunnelFailure(() => tunnel.decrypt(reMac(-17760703)))).toBe(mismatch);
  });

  it('AES-CCM-16-*: a plaintext beyond 65535 bytes cannot be sent', () => {
    expect(tunnelFailure(() => TunnelSession.establish(30, secret).encrypt(new Uint8Array(0x10000)))).toBe(
      `too-large/${ErrorCode.InternalServerError}`,
    );
  });
});

function createHmacTag(key: Uint8Array, protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const structure = encode(['MAC0', protectedBytes, new Uint8Array(0), payload]);
  return new Uint8Array(createHmac('sha256', key).update(structure).digest());
}

describe('CBC/CTR key sizes: spec (SVK 32/64) and go-fdo (SVK 16/32)', () => {
  const secret: KexSharedSecret = { shSe: new Uint8Array(48).fill(7), contextRand: new Uint8Array(0) };
  const etm = [-17760703, -17760704, -17760705, -17760706] as CipherSuite[];

  it("derives go-fdo's lengths from the KDF asked for them (every byte differs from the spec's)", () => {
    for (const cipher of etm) {
      const suite = tunnelCipher(cipher);
      const spec = deriveTunnelKeys(cipher, secret);
      const goFdo = deriveTunnelKeys(cipher, secret, 'go-fdo');
      const half = suite.kdfHash === 'sha256' ? 16 : 32;
      expect([goFdo.sek.length, goFdo.svk.length]).toEqual([suite.sekLength, half]);
      expect([spec.sek.length, spec.svk.length]).toEqual([suite.sekLength, half * 2]);
      const material = fdoKdf(suite.kdfHash, secret.shSe, secret.contextRand, suite.sekLength + half);
      expect(Buffer.concat([goFdo.sek, goFdo.svk])).toEqual(Buffer.from(material));
      expect(Buffer.from(goFdo.sek)).not.toEqual(Buffer.from(spec.sek));
      // Stored keys of either convention import again.
      expect(importTunnelKeys(exportTunnelKeys(goFdo))).toEqual(goFdo);
    }
  });

  it('openFirst keeps the convention that authenticates the first message, and the tunnel works both ways', () => {
    for (const cipher of etm)
      for (const ownerSizes of ['spec', 'go-fdo'] as const) {
        const owner = TunnelSession.establish(cipher, secret, { keySizes: ownerSizes });
        const first = owner.encrypt(encode(['setup', 65]));
        for (const prefer of ['spec', 'go-fdo'] as const) {
          const opened = TunnelSession.openFirst(cipher, secret, first, { prefer });
          expect(opened.keySizes).toBe(ownerSizes);
          expect(decode(opened.plaintext)).toEqual(['setup', 65]);
          expect(decode(owner.decrypt(opened.session.encrypt(encode(['reply', 66]))))).toEqual(['reply', 66]);
        }
      }
  });

  it('openFirst fails as before when neither convention authenticates, and derives once for GCM', () => {
    const other: KexSharedSecret = { shSe: new Uint8Array(48).fill(8), contextRand: new Uint8Array(0) };
    const first = TunnelSession.establish(-17760703 as CipherSuite, other).encrypt(encode(1));
    expect(tunnelFailure(() => TunnelSession.openFirst(-17760703 as CipherSuite, secret, first))).toMatch(
      /authentication-failed/,
    );
    const gcm = TunnelSession.establish(1 as CipherSuite, secret).encrypt(encode(2));
    expect(TunnelSession.openFirst(1 as CipherSuite, secret, gcm, { prefer: 'go-fdo' }).keySizes).toBe(
      'go-fdo',
    );
  });
});
