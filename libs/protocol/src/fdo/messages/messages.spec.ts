import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, RawCbor, Tagged, type CborValue } from '../../cbor';
import { ErrorCode, MessageType } from '../constants';
import {
  decodeErrorMessage,
  decodeMessage,
  encodeErrorMessage,
  encodeMessage,
  encodeTo0d,
  errorMessageFor,
  FDO_MESSAGE_TYPES,
  fdoErrorCodeOf,
  fdoMessageName,
  FdoMessageError,
  isFdoMessageType,
  newErrorMessage,
  type FdoMessageMap,
} from './index';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const raw = (value: CborValue) => new RawCbor(encode(value));

const nonce = bytes(16, 0xaa);
const guid = bytes(16, 0x11);
const hmac = raw([6, bytes(48, 0x5a)]);
const sign1 = raw(new Tagged(18, [unhex('a1013822'), new Map([[-259, nonce]]), bytes(40, 1), bytes(96, 2)]));
const ovHeader = raw([101, guid, [[[13, unhex('00')]]], 'gotest', [11, 1, bytes(4, 9)], [-43, bytes(48, 7)]]);
const serviceInfo = [
  { key: 'devmod:active', value: unhex('f5') },
  { key: 'fdo.download:data', value: encode(bytes(300, 0x42)) },
];

/** One constructed value per message type: encode, decode and compare both ways. */
const SAMPLES: { [K in MessageType]: FdoMessageMap[K] } = {
  [MessageType.DIAppStart]: { deviceMfgInfo: encode([11, 1, 'sn-1', 'model', bytes(10, 0x30)]) },
  [MessageType.DISetCredentials]: { ovHeader },
  [MessageType.DISetHMAC]: { hmac },
  [MessageType.DIDone]: {},
  [MessageType.TO0Hello]: {},
  [MessageType.TO0HelloAck]: { nonceTo0Sign: nonce },
  [MessageType.TO0OwnerSign]: {
    to0d: new RawCbor(
      encodeTo0d({ ownershipVoucher: raw([101, bytes(5, 1)]), waitSeconds: 3600, nonceTo0Sign: nonce }),
    ),
    to1d: sign1,
  },
  [MessageType.TO0AcceptOwner]: { waitSeconds: 3600 },
  [MessageType.TO1HelloRV]: { guid, sigInfoA: { sgType: -7, info: new Uint8Array(0) } },
  [MessageType.TO1HelloRVAck]: { nonceTo1Proof: nonce, sigInfoB: { sgType: -7, info: new Uint8Array(0) } },
  [MessageType.TO1ProveToRV]: { sign1 },
  [MessageType.TO1RVRedirect]: { sign1 },
  [MessageType.TO2HelloDevice]: {
    maxDeviceMessageSize: 65535,
    guid,
    nonceTo2ProveOv: nonce,
    kexSuiteName: 'ASYMKEX3072',
    cipherSuite: -17760706,
    sigInfoA: { sgType: -38, info: new Uint8Array(0) },
  },
  [MessageType.TO2ProveOVHdr]: { sign1 },
  [MessageType.TO2GetOVNextEntry]: { entryNum: 3 },
  [MessageType.TO2OVNextEntry]: { entryNum: 3, entry: sign1 },
  [MessageType.TO2ProveDevice]: { sign1 },
  [MessageType.TO2SetupDevice]: { sign1 },
  [MessageType.TO2DeviceServiceInfoReady]: { replacementHmac: null, maxOwnerServiceInfoSize: 1300 },
  [MessageType.TO2OwnerServiceInfoReady]: { maxDeviceServiceInfoSize: null },
  [MessageType.TO2DeviceServiceInfo]: { isMoreServiceInfo: true, serviceInfo },
  [MessageType.TO2OwnerServiceInfo]: { isMoreServiceInfo: false, isDone: true, serviceInfo: [] },
  [MessageType.TO2Done]: { nonceTo2ProveDv: nonce },
  [MessageType.TO2Done2]: { nonceTo2SetupDv: nonce },
  [MessageType.Error]: newErrorMessage(ErrorCode.InvalidMessageError, 64, 'bad nonce', {
    now: new Date(1_700_000_000_500),
    correlationId: 42n,
  }),
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('message codecs', () => {
  it('cover exactly the FDO 1.1 message types', () => {
    expect(FDO_MESSAGE_TYPES).toEqual([
      10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 255,
    ]);
    expect(fdoMessageName(MessageType.TO2ProveOVHdr)).toBe('TO2.ProveOVHdr');
    expect(isFdoMessageType(14)).toBe(false);
  });

  it.each(FDO_MESSAGE_TYPES.map((type) => [type] as const))(
    'message %i round-trips typed values and bytes',
    (type) => {
      const encoded = encodeMessage(type, SAMPLES[type]);
      const decoded = decodeMessage(type, encoded);
      expect(hex(encodeMessage(type, decoded))).toBe(hex(encoded));
      expect(normalize(decoded)).toEqual(normalize(SAMPLES[type]));
    },
  );

  it('refuses an unknown message type with MessageBodyError', () => {
    const err = thrown(() => decodeMessage(99 as MessageType, unhex('80')));
    expect(err).toBeInstanceOf(FdoMessageError);
    expect(fdoErrorCodeOf(err)).toBe(ErrorCode.MessageBodyError);
  });

  it.each([
    [
      'a short nonce',
      MessageType.TO2Done,
      encode([bytes(15, 1)]),
      /TO2\.Done\.nonceTo2ProveDv: expected 16 bytes/,
    ],
    [
      'a GUID of the wrong size',
      MessageType.TO1HelloRV,
      encode([bytes(17, 1), [-7, new Uint8Array(0)]]),
      /TO1\.HelloRV\.guid/,
    ],
    [
      'a missing field',
      MessageType.TO2HelloDevice,
      encode([65535, guid, nonce, 'ECDH256', 1]),
      /TO2\.HelloDevice: expected 6 items/,
    ],
    ['an extra field', MessageType.TO0HelloAck, encode([nonce, 1]), /TO0\.HelloAck: expected 1 items/],
    ['a non-empty DI.Done', MessageType.DIDone, encode([0]), /DI\.Done/],
    [
      'a text kex where a number belongs',
      MessageType.TO2HelloDevice,
      encode([65535, guid, nonce, 'ECDH256', 'A128GCM', [-7, new Uint8Array(0)]]),
      /cipherSuite: expected an integer/,
    ],
    ['uint8 overflow', MessageType.TO2GetOVNextEntry, encode([256]), /entryNum: 256 exceeds 255/],
    ['uint16 overflow', MessageType.TO2OwnerServiceInfoReady, encode([65536]), /maxDeviceServiceInfoSize/],
    [
      'a non-COSE body',
      MessageType.TO1ProveToRV,
      encode([1, 2, 3, 4]),
      /TO1\.ProveToRV\.protected: expected a byte string/,
    ],
    [
      'a COSE_Encrypt0 where COSE_Sign1 belongs',
      MessageType.TO2ProveDevice,
      encode(new Tagged(16, [new Uint8Array(0), new Map(), new Uint8Array(0)])),
      /tag 18/,
    ],
    ['a bad HMac', MessageType.DISetHMAC, encode([[6, 'x']]), /DI\.SetHMAC\.hmac\.value/],
    [
      'an OVHeader bstr that is not CBOR',
      MessageType.DISetCredentials,
      encode([unhex('8201')]),
      /DI\.SetCredentials\.ovHeader/,
    ],
    [
      'an unwrapped OVHeader',
      MessageType.DISetCredentials,
      encode([[101]]),
      /ovHeader: expected a byte string/,
    ],
    [
      'a ServiceInfo value that is not a byte string',
      MessageType.TO2DeviceServiceInfo,
      encode([false, [['devmod:active', true]]]),
      /serviceInfo\[0\]\.value/,
    ],
    [
      'a non-boolean IsDone',
      MessageType.TO2OwnerServiceInfo,
      encode([false, 0, []]),
      /isDone: expected a boolean/,
    ],
    ['trailing bytes', MessageType.TO0Hello, unhex('8080'), /trailing/],
    [
      'a to0d with a bad nonce',
      MessageType.TO0OwnerSign,
      encode([encode([[101], 1, bytes(3, 1)]), sign1]),
      /to0d\.nonceTo0Sign/,
    ],
  ])('rejects %s with a CborError naming the field', (_name, type, body, message) => {
    const err = thrown(() => decodeMessage(type, body));
    expect(err).toBeInstanceOf(CborError);
    expect((err as Error).message).toMatch(message);
    expect(fdoErrorCodeOf(err)).toBe(ErrorCode.MessageBodyError);
  });

  it('refuses to encode a wrong-sized nonce', () => {
    expect(() => encodeMessage(MessageType.TO2Done2, { nonceTo2SetupDv: bytes(8, 0) })).toThrow(CborError);
  });

  it('accepts DI.AppStart without DeviceMfgInfo, as go-fdo allows', () => {
    expect(decodeMessage(MessageType.DIAppStart, unhex('81f6'))).toEqual({ deviceMfgInfo: null });
  });

  it('to0d keeps the voucher bytes verbatim, even a non-deterministic encoding', () => {
    // [101, 1, 2] with a two-byte head for 1: decode() would refuse it, but the voucher is spliced in as received.
    const voucher = new RawCbor(unhex('8318651801' + '02'));
    const to0d = encodeTo0d({ ownershipVoucher: voucher, waitSeconds: 5, nonceTo0Sign: nonce });
    expect(hex(to0d)).toBe(`838318651801020550${hex(nonce)}`);
  });
});

describe('ErrorMessage', () => {
  it('encodes as go-fdo does: integer seconds, null correlation id', () => {
    const msg = newErrorMessage(ErrorCode.ResourceNotFound, 30, 'not found', {
      now: new Date(1795221471_900),
    });
    expect(hex(encodeErrorMessage(msg))).toBe('8506181e696e6f7420666f756e641a6b00e7dff6');
  });

  it.each([
    ['null (fdo-rs)', 'f6', { kind: 'none' }],
    ['a bare integer (go-fdo, PRI)', '1a6b00e7df', { kind: 'seconds', seconds: 1795221471, tagged: false }],
    ['#6.1 epoch seconds', 'c11a6b00e7df', { kind: 'seconds', seconds: 1795221471, tagged: true }],
    [
      '#6.1 fractional seconds',
      'c1fb41dac039f7f9999a',
      { kind: 'seconds', seconds: 1795221471.9, tagged: true },
    ],
    [
      '#6.0 date text',
      'c074323032362d31312d32315430303a33373a35315a',
      { kind: 'text', text: '2026-11-21T00:37:51Z' },
    ],
  ])('reads a timestamp given as %s and writes it back the same way', (_name, tsHex, timestamp) => {
    const body = unhex(`8506181e696e6f7420666f756e64${tsHex}f6`);
    const msg = decodeErrorMessage(body);
    expect(msg.timestamp).toEqual(timestamp);
    expect(hex(encodeErrorMessage(msg))).toBe(hex(body));
  });

  it.each([
    ['a PRI long', '1b7fffffffffffffff', 0x7fffffffffffffffn],
    ['a negative PRI long', '3903e7', -1000n],
    ['fdo-rs u64 (from its own test vector)', '1be34d1bbfbd9d5c17', 16378777930150272023n],
    ['an fdo-rs u128 bignum', 'c25001000000000000000000000000000000', 1n << 120n],
  ])('reads a correlation id sent as %s', (_name, cidHex, cid) => {
    const body = unhex(
      `85021678${'2a'}${Buffer.from('Ownership voucher manufacturer not trusted').toString('hex')}f6${cidHex}`,
    );
    const msg = decodeErrorMessage(body);
    expect(msg.correlationId).toBe(cid);
    expect(msg.code).toBe(ErrorCode.InvalidOwnershipVoucher);
    expect(hex(encodeErrorMessage(msg))).toBe(hex(body));
  });

  it('rejects other timestamp shapes with a typed error', () => {
    expect(() => decodeErrorMessage(unhex('8506181e60c2410100'))).toThrow(/timestamp/);
    expect(() => decodeErrorMessage(unhex('8506181e606174f6'))).toThrow(CborError);
  });

  it('maps failures to error codes without leaking internals', () => {
    const parse = errorMessageFor(new CborError('malformed', 'CBOR malformed: x'), 60);
    expect(parse.code).toBe(ErrorCode.MessageBodyError);
    expect(parse.message).toBe('CBOR malformed: x');
    const typed = errorMessageFor(new FdoMessageError(ErrorCode.InvalidMessageError, 'nonce mismatch'), 70);
    expect([typed.code, typed.message, typed.prevMsgType]).toEqual([101, 'nonce mismatch', 70]);
    const internal = errorMessageFor(new Error('db password wrong'), 60);
    expect([internal.code, internal.message]).toEqual([500, 'internal error']);
    expect(decode(encodeErrorMessage(internal))).toHaveLength(5);
  });
});

/** RawCbor compares by bytes; everything else structurally. */
function normalize(value: unknown): unknown {
  if (value instanceof RawCbor) return { raw: hex(value.bytes) };
  if (value instanceof Uint8Array) return { bytes: hex(value) };
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}
