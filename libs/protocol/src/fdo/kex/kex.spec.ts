import {
  constants,
  createECDH,
  createHash,
  generateKeyPairSync,
  getDiffieHellman,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../cbor';
import { ErrorCode, KexSuite } from '../constants';
import { type RandomSource } from '../guid';
import { DH_GROUP14, DH_GROUP15 } from './dh';
import { decodeEcdhParameter, ECDH256_CURVE, encodeEcdhParameter } from './ecdh';
import { KexError } from './errors';
import { beginOwner, completeOwner, deviceRespond, isKexSuite } from './kex';
import { exportOwnerKexState, importOwnerKexState } from './state';

/** Deterministic bytes: SHA-256(seed || counter) blocks. */
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

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function kexFailure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof KexError) return `${err.code}/${err.fdoErrorCode}`;
    throw err;
  }
  return 'no error';
}

describe('ECDH256 / ECDH384', () => {
  it.each([
    [KexSuite.ECDH256, 'prime256v1', 32, 16],
    [KexSuite.ECDH384, 'secp384r1', 48, 48],
  ] as const)('%s xA is blen(X) X blen(Y) Y blen(OwnerRandom) OwnerRandom', (suite, curve, n, r) => {
    const { xA, state } = beginOwner(suite, { random: seededRandom('owner') });
    expect(xA.length).toBe(2 + n + 2 + n + 2 + r);
    expect([xA[0], xA[1], xA[2 + n], xA[3 + n], xA[4 + 2 * n], xA[5 + 2 * n]]).toEqual([0, n, 0, n, 0, r]);
    const ecdh = createECDH(curve);
    ecdh.setPrivateKey(state.secret);
    expect(hex(xA.subarray(2, 2 + n)) + hex(xA.subarray(4 + n, 4 + 2 * n))).toBe(
      hex(ecdh.getPublicKey().subarray(1)),
    );
    expect(state).toEqual({ suite, xA, secret: state.secret });
  });

  it.each([KexSuite.ECDH256, KexSuite.ECDH384])(
    '%s: both sides derive ShSe = Shx || DeviceRandom || OwnerRandom',
    (suite) => {
      const { xA, state } = beginOwner(suite);
      const device = deviceRespond(suite, xA);
      const owner = completeOwner(state, device.xB);
      expect(hex(owner.shSe)).toBe(hex(device.secret.shSe));
      expect(owner.contextRand.length).toBe(0);
      expect(device.secret.contextRand.length).toBe(0);

      const curve = suite === KexSuite.ECDH256 ? 'prime256v1' : 'secp384r1';
      const n = suite === KexSuite.ECDH256 ? 32 : 48;
      const ecdh = createECDH(curve);
      ecdh.setPrivateKey(state.secret);
      const devicePoint = cat(
        Uint8Array.of(4),
        device.xB.subarray(2, 2 + n),
        device.xB.subarray(4 + n, 4 + 2 * n),
      );
      const shx = ecdh.computeSecret(devicePoint);
      const ownerRandom = xA.subarray(6 + 2 * n);
      const deviceRandom = device.xB.subarray(6 + 2 * n);
      expect(hex(owner.shSe)).toBe(hex(cat(shx, deviceRandom, ownerRandom)));
    },
  );

  it('is deterministic under an injected random source', () => {
    const first = beginOwner(KexSuite.ECDH256, { random: seededRandom('same') });
    const second = beginOwner(KexSuite.ECDH256, { random: seededRandom('same') });
    expect(hex(first.xA)).toBe(hex(second.xA));
    const a = deviceRespond(KexSuite.ECDH256, first.xA, { random: seededRandom('device') });
    const b = deviceRespond(KexSuite.ECDH256, first.xA, { random: seededRandom('device') });
    expect(hex(a.xB)).toBe(hex(b.xB));
    expect(hex(a.secret.shSe)).toBe(hex(b.secret.shSe));
  });

  it('accepts coordinates sent without leading zero bytes (left-pads them)', () => {
    let seed = 0;
    let start = beginOwner(KexSuite.ECDH256, { random: seededRandom(`z${seed}`) });
    while (start.xA[2] !== 0) start = beginOwner(KexSuite.ECDH256, { random: seededRandom(`z${++seed}`) });
    const parameter = decodeEcdhParameter(start.xA, ECDH256_CURVE);
    const stripped = encodeEcdhParameter({ ...parameter, x: parameter.x.subarray(1) });
    expect(stripped.length).toBe(start.xA.length - 1);
    const device = deviceRespond(KexSuite.ECDH256, stripped);
    expect(hex(completeOwner(start.state, device.xB).shSe)).toBe(hex(device.secret.shSe));
  });

  it('refuses malformed parameters with MessageBodyError and off-curve points with InvalidMessage', () => {
    const { xA } = beginOwner(KexSuite.ECDH256);
    const malformed = `malformed-parameter/${ErrorCode.MessageBodyError}`;
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, xA.subarray(0, 50)))).toBe(malformed);
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, cat(xA, Uint8Array.of(0))))).toBe(malformed);
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, new Uint8Array(0)))).toBe(malformed);
    const parameter = decodeEcdhParameter(xA, ECDH256_CURVE);
    const shortRandom = encodeEcdhParameter({ ...parameter, random: parameter.random.subarray(1) });
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, shortRandom))).toBe(malformed);
    const longX = encodeEcdhParameter({ ...parameter, x: cat(Uint8Array.of(0), parameter.x) });
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, longX))).toBe(malformed);
    // A P-256 xA offered under ECDH384 (go-fdo TestBadECDH256Exchange).
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH384, xA))).toBe(malformed);
    const offCurve = encodeEcdhParameter({ ...parameter, y: parameter.x });
    expect(kexFailure(() => deviceRespond(KexSuite.ECDH256, offCurve))).toBe(
      `invalid-parameter/${ErrorCode.InvalidMessageError}`,
    );
    const { state } = beginOwner(KexSuite.ECDH256);
    expect(kexFailure(() => completeOwner(state, offCurve))).toBe(
      `invalid-parameter/${ErrorCode.InvalidMessageError}`,
    );
  });
});

describe('DHKEXid14 / DHKEXid15', () => {
  const modPow = (base: bigint, exponent: bigint, modulus: bigint) => {
    let result = 1n;
    for (base %= modulus; exponent > 0n; exponent >>= 1n, base = (base * base) % modulus)
      if (exponent & 1n) result = (result * base) % modulus;
    return result;
  };
  const big = (b: Uint8Array) => BigInt(`0x${hex(b) || '0'}`);

  it('uses the RFC 3526 group 14 and 15 primes', () => {
    expect(hex(DH_GROUP14.prime)).toBe(getDiffieHellman('modp14').getPrime('hex'));
    expect(hex(DH_GROUP15.prime)).toBe(getDiffieHellman('modp15').getPrime('hex'));
  });

  it('DHKEXid14: xA = 2^a mod p with a 256-bit a; ShSe = xB^a mod p, padded to 256 bytes', () => {
    const { xA, state } = beginOwner(KexSuite.DHKEXid14, { random: seededRandom('dh') });
    expect(state.secret.length).toBe(32);
    expect(big(xA)).toBe(modPow(2n, big(state.secret), DH_GROUP14.primeValue));
    expect(xA[0]).not.toBe(0);
    const device = deviceRespond(KexSuite.DHKEXid14, xA);
    const owner = completeOwner(state, device.xB);
    expect(owner.shSe.length).toBe(256);
    expect(hex(owner.shSe)).toBe(hex(device.secret.shSe));
    expect(big(owner.shSe)).toBe(modPow(big(device.xB), big(state.secret), DH_GROUP14.primeValue));
    expect(owner.contextRand.length).toBe(0);
  });

  it('DHKEXid15: 768-bit exponents, 384-byte shared secret', () => {
    const { xA, state } = beginOwner(KexSuite.DHKEXid15);
    expect(state.secret.length).toBe(96);
    const device = deviceRespond(KexSuite.DHKEXid15, xA);
    const owner = completeOwner(state, device.xB);
    expect(owner.shSe.length).toBe(384);
    expect(hex(owner.shSe)).toBe(hex(device.secret.shSe));
  });

  it('refuses public values outside [2, p-2] and longer than the prime', () => {
    const { state } = beginOwner(KexSuite.DHKEXid14);
    const p = DH_GROUP14.primeValue;
    const bytesOf = (v: bigint) => new Uint8Array(Buffer.from(v.toString(16).padStart(512, '0'), 'hex'));
    const invalid = `invalid-parameter/${ErrorCode.InvalidMessageError}`;
    for (const value of [0n, 1n, p - 1n, p])
      expect(kexFailure(() => completeOwner(state, bytesOf(value)))).toBe(invalid);
    expect(kexFailure(() => completeOwner(state, new Uint8Array(0)))).toBe(
      `malformed-parameter/${ErrorCode.MessageBodyError}`,
    );
    expect(kexFailure(() => completeOwner(state, cat(Uint8Array.of(1), bytesOf(2n))))).toBe(
      `malformed-parameter/${ErrorCode.MessageBodyError}`,
    );
    // A leading zero (as a Java BigInteger sign byte) is fine.
    const device = deviceRespond(KexSuite.DHKEXid14, beginOwner(KexSuite.DHKEXid14).xA);
    expect(completeOwner(state, cat(Uint8Array.of(0), device.xB)).shSe.length).toBe(256);
  });
});

describe('ASYMKEX2048 / ASYMKEX3072', () => {
  let owner: { publicKey: KeyObject; privateKey: KeyObject };
  beforeAll(() => {
    owner = generateKeyPairSync('rsa', { modulusLength: 2048 });
  });

  it.each([
    [KexSuite.ASYMKEX2048, 32],
    [KexSuite.ASYMKEX3072, 96],
  ] as const)('%s: xA = OwnerRandom (%i bytes), xB = RSA-OAEP-SHA256(DeviceRandom)', (suite, size) => {
    const { xA, state } = beginOwner(suite);
    expect(xA.length).toBe(size);
    const device = deviceRespond(suite, xA, { ownerPublicKey: owner.publicKey });
    expect(device.xB.length).toBe(256);
    const deviceRandom = privateDecrypt(
      { key: owner.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      device.xB,
    );
    expect(hex(device.secret.shSe)).toBe(hex(deviceRandom));
    expect(hex(device.secret.contextRand)).toBe(hex(xA));
    const ownerSecret = completeOwner(state, device.xB, { ownerPrivateKey: owner.privateKey });
    expect(hex(ownerSecret.shSe)).toBe(hex(deviceRandom));
    expect(hex(ownerSecret.contextRand)).toBe(hex(xA));
  });

  it('refuses a missing or non-RSA key, a wrong-size OwnerRandom, and an xB that does not decrypt', () => {
    const { xA, state } = beginOwner(KexSuite.ASYMKEX2048);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(kexFailure(() => deviceRespond(KexSuite.ASYMKEX2048, xA))).toBe(
      `invalid-key/${ErrorCode.InternalServerError}`,
    );
    expect(kexFailure(() => deviceRespond(KexSuite.ASYMKEX2048, xA, { ownerPublicKey: ec.publicKey }))).toBe(
      `invalid-key/${ErrorCode.InternalServerError}`,
    );
    expect(
      kexFailure(() => deviceRespond(KexSuite.ASYMKEX3072, xA, { ownerPublicKey: owner.publicKey })),
    ).toBe(`malformed-parameter/${ErrorCode.MessageBodyError}`);
    const device = deviceRespond(KexSuite.ASYMKEX2048, xA, { ownerPublicKey: owner.publicKey });
    expect(kexFailure(() => completeOwner(state, device.xB))).toBe(
      `invalid-key/${ErrorCode.InternalServerError}`,
    );
    const invalid = `invalid-parameter/${ErrorCode.InvalidMessageError}`;
    const tampered = Uint8Array.from(device.xB, (b, i) => (i === 10 ? b ^ 1 : b));
    expect(kexFailure(() => completeOwner(state, tampered, { ownerPrivateKey: owner.privateKey }))).toBe(
      invalid,
    );
    // OAEP with SHA-1 (node's default) is not what FDO specifies, and must not decrypt.
    const sha1 = publicEncrypt(
      { key: owner.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING },
      new Uint8Array(32),
    );
    expect(kexFailure(() => completeOwner(state, sha1, { ownerPrivateKey: owner.privateKey }))).toBe(invalid);
    const wrongSize = publicEncrypt(
      { key: owner.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      new Uint8Array(31),
    );
    expect(kexFailure(() => completeOwner(state, wrongSize, { ownerPrivateKey: owner.privateKey }))).toBe(
      invalid,
    );
  });
});

describe('suite names and stored owner state', () => {
  it('knows exactly the six FDO 1.1 suite names', () => {
    expect(Object.values(KexSuite).every(isKexSuite)).toBe(true);
    expect(isKexSuite('ECDH521')).toBe(false);
    expect(isKexSuite('ecdh256')).toBe(false);
    const unsupported = `unsupported-suite/${ErrorCode.MessageBodyError}`;
    expect(kexFailure(() => beginOwner('ECDH521' as KexSuite))).toBe(unsupported);
    expect(kexFailure(() => deviceRespond('ECDH521' as KexSuite, new Uint8Array(0)))).toBe(unsupported);
  });

  it('round-trips the owner state through bytes and still completes the exchange', () => {
    const { xA, state } = beginOwner(KexSuite.ECDH384);
    const restored = importOwnerKexState(exportOwnerKexState(state));
    expect(restored).toEqual(state);
    const device = deviceRespond(KexSuite.ECDH384, xA);
    expect(hex(completeOwner(restored, device.xB).shSe)).toBe(hex(device.secret.shSe));
  });

  it('refuses unreadable stored state as invalid-state (internal error)', () => {
    const state = `invalid-state/${ErrorCode.InternalServerError}`;
    const bytes = new Uint8Array(0);
    expect(kexFailure(() => importOwnerKexState(Uint8Array.of(0xff)))).toBe(state);
    expect(kexFailure(() => importOwnerKexState(encode([1, 'ECDH521', bytes, bytes])))).toBe(state);
    expect(kexFailure(() => importOwnerKexState(encode([2, 'ECDH256', bytes, bytes])))).toBe(state);
    expect(kexFailure(() => importOwnerKexState(encode([1, 'ECDH256', bytes])))).toBe(state);
    const badScalar = {
      suite: KexSuite.ECDH256,
      xA: beginOwner(KexSuite.ECDH256).xA,
      secret: new Uint8Array(32),
    };
    expect(kexFailure(() => completeOwner(badScalar, deviceRespond(KexSuite.ECDH256, badScalar.xA).xB))).toBe(
      state,
    );
  });
});
