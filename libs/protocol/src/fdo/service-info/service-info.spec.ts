import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, type CborValue } from '../../cbor';
import { FdoMessageError } from '../messages/errors';
import { encodeTo2OwnerServiceInfo } from '../messages';
import {
  chunkServiceInfo,
  cborItemExtent,
  maxWholeValueSize,
  parseServiceInfoKey,
  ServiceInfoReassembler,
  serviceInfoKv,
  serviceInfoKvBody,
  serviceInfoSize,
  serviceInfoToCbor,
  type ServiceInfo,
  type ServiceInfoKv,
} from './index';

const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** A deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

function reassembleAll(messages: ServiceInfo[]): { key: string; body: CborValue }[] {
  const reassembler = new ServiceInfoReassembler();
  const out = messages
    .flatMap((m) => reassembler.push(m))
    .map((m) => ({ key: `${m.module}:${m.message}`, body: m.body }));
  reassembler.finish();
  return out;
}

describe('ServiceInfo sizes', () => {
  it('match the encoded bytes', () => {
    const si: ServiceInfo = [
      serviceInfoKv('devmod', 'active', true),
      serviceInfoKv('fdo.download', 'data', new Uint8Array(300)),
      serviceInfoKv('x', 'y'.repeat(30), 'z'.repeat(70000)),
    ];
    expect(serviceInfoSize(si)).toBe(encode(serviceInfoToCbor(si)).length);
  });

  it('parses keys at the first colon', () => {
    expect(parseServiceInfoKey('fido_alliance:dev_conformance')).toEqual({
      module: 'fido_alliance',
      message: 'dev_conformance',
    });
    expect(parseServiceInfoKey('a:b:c')).toEqual({ module: 'a', message: 'b:c' });
    expect(() => parseServiceInfoKey('nocolon')).toThrow(CborError);
    expect(() => parseServiceInfoKey(':x')).toThrow(CborError);
  });

  it('decodes a whole-value pair, naming the key when the value is bad', () => {
    expect(serviceInfoKvBody(serviceInfoKv('fdo.download', 'length', 54))).toBe(54);
    expect(() => serviceInfoKvBody({ key: 'fdo.download:length', value: unhex('1836ff') })).toThrow(
      /ServiceInfo "fdo\.download:length"/,
    );
  });
});

describe('chunkServiceInfo', () => {
  it('packs whole pairs in order and never exceeds the maximum', () => {
    const kvs = Array.from({ length: 40 }, (_, i) =>
      serviceInfoKv('fdo.command', `m${i}`, 'x'.repeat(i * 3)),
    );
    const messages = chunkServiceInfo(kvs, { maxSize: 200 });
    expect(messages.flat()).toEqual(kvs);
    for (const m of messages) expect(serviceInfoSize(m)).toBeLessThanOrEqual(200);
    // Greedy: the next pair would not have fitted in the previous message.
    for (let i = 1; i < messages.length; i++)
      expect(serviceInfoSize([...messages[i - 1]!, messages[i]![0]!])).toBeGreaterThan(200);
  });

  it('fills a message exactly to the maximum when the sizes allow', () => {
    const kv = serviceInfoKv('m', 'k', new Uint8Array(10)); // 1 + 4 + 1 + 11 = 17 bytes
    const messages = chunkServiceInfo([kv, kv, kv], { maxSize: 1 + 2 * 17 });
    expect(messages.map((m) => m.length)).toEqual([2, 1]);
    expect(serviceInfoSize(messages[0]!)).toBe(35);
  });

  it('splits a value too large for one message into same-key pieces that reassemble', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const kvs = [
      serviceInfoKv('fdo.download', 'name', 'big.bin'),
      serviceInfoKv('fdo.download', 'data', data),
    ];
    const messages = chunkServiceInfo(kvs, { maxSize: 1300 });
    expect(messages.length).toBe(4);
    for (const m of messages) expect(serviceInfoSize(m)).toBeLessThanOrEqual(1300);
    // The first piece shares the message with the name; later pieces fill whole messages.
    expect(messages[0]!.map((kv) => kv.key)).toEqual(['fdo.download:name', 'fdo.download:data']);
    expect(serviceInfoSize(messages[1]!)).toBe(1300);
    expect(reassembleAll(messages)).toEqual([
      { key: 'fdo.download:name', body: 'big.bin' },
      { key: 'fdo.download:data', body: data },
    ]);
  });

  it('refuses to split when asked to keep values whole, and sizes whole values for modules', () => {
    const kv = serviceInfoKv('fdo.download', 'data', new Uint8Array(2000));
    expect(() => chunkServiceInfo([kv], { maxSize: 1300, splitValues: false })).toThrow(FdoMessageError);
    const largest = maxWholeValueSize('fdo.download:data', 1300);
    const fits = { key: 'fdo.download:data', value: new Uint8Array(largest) };
    expect(chunkServiceInfo([fits], { maxSize: 1300, splitValues: false })).toEqual([[fits]]);
    expect(serviceInfoSize([fits])).toBe(1300);
    const tooBig = { key: 'fdo.download:data', value: new Uint8Array(largest + 1) };
    expect(() => chunkServiceInfo([tooBig], { maxSize: 1300, splitValues: false })).toThrow(FdoMessageError);
  });

  it('refuses a maximum too small for the key itself', () => {
    expect(() => chunkServiceInfo([serviceInfoKv('module', 'message', 1)], { maxSize: 10 })).toThrow(
      /too small for key/,
    );
  });

  it('returns no messages for no pairs', () => {
    expect(chunkServiceInfo([])).toEqual([]);
  });

  it('round-trips random queues at random maxima', () => {
    const random = prng(7);
    for (let round = 0; round < 200; round++) {
      const maxSize = 40 + Math.floor(random() * 1500);
      const kvs: ServiceInfoKv[] = [];
      const expected: { key: string; body: CborValue }[] = [];
      for (let i = Math.floor(random() * 12); i > 0; i--) {
        const key = `mod${Math.floor(random() * 3)}:msg${Math.floor(random() * 3)}`;
        const body: CborValue =
          random() < 0.5
            ? Uint8Array.from({ length: Math.floor(random() * 4000) }, () => (random() * 256) | 0)
            : [i, 'x'.repeat(i * 20)];
        kvs.push({ key, value: encode(body) });
        expected.push({ key, body });
      }
      const messages = chunkServiceInfo(kvs, { maxSize });
      for (const m of messages) expect(serviceInfoSize(m)).toBeLessThanOrEqual(maxSize);
      expect(reassembleAll(messages)).toEqual(expected);
    }
  });
});

describe('ServiceInfoReassembler', () => {
  it('splits a same-key stream into its complete items', () => {
    const reassembler = new ServiceInfoReassembler();
    const stream = new Uint8Array([...encode('a'), ...encode([1, 2]), ...encode('b')]);
    const out = reassembler.push([
      { key: 'm:x', value: stream.subarray(0, 3) },
      { key: 'm:x', value: stream.subarray(3) },
    ]);
    expect(out.map((m) => m.body)).toEqual(['a', [1, 2], 'b']);
    expect(reassembler.pending).toBe(false);
  });

  it('waits across messages for the rest of a value', () => {
    const reassembler = new ServiceInfoReassembler();
    const value = encode(new Uint8Array(100).fill(3));
    expect(reassembler.push([{ key: 'fdo.upload:data', value: value.subarray(0, 1) }])).toEqual([]);
    expect(reassembler.push([{ key: 'fdo.upload:data', value: value.subarray(1, 50) }])).toEqual([]);
    expect(reassembler.pending).toBe(true);
    const [message] = reassembler.push([{ key: 'fdo.upload:data', value: value.subarray(50) }]);
    expect(message).toMatchObject({
      module: 'fdo.upload',
      message: 'data',
      body: new Uint8Array(100).fill(3),
    });
    expect(reassembler.finish()).toBeUndefined();
  });

  it('rejects a value cut short by another key, by the end, or by its size limit', () => {
    const value = encode('hello world');
    const cut = new ServiceInfoReassembler();
    expect(() =>
      cut.push([
        { key: 'm:a', value: value.subarray(0, 4) },
        { key: 'm:b', value },
      ]),
    ).toThrow(FdoMessageError);
    const unfinished = new ServiceInfoReassembler();
    unfinished.push([{ key: 'm:a', value: value.subarray(0, 4) }]);
    expect(() => unfinished.finish()).toThrow(/before its CBOR item is complete/);
    const limited = new ServiceInfoReassembler(10);
    expect(() => limited.push([{ key: 'm:a', value }])).toThrow(/exceeds 10 bytes/);
  });

  it('rejects bytes no CBOR item starts with, and non-canonical items', () => {
    expect(() => new ServiceInfoReassembler().push([{ key: 'm:a', value: unhex('1c') }])).toThrow(CborError);
    expect(() => new ServiceInfoReassembler().push([{ key: 'm:a', value: unhex('9f01ff') }])).toThrow(
      CborError,
    );
    expect(() => new ServiceInfoReassembler().push([{ key: 'm:a', value: unhex('1801') }])).toThrow(
      CborError,
    );
    expect(() => new ServiceInfoReassembler().push([{ key: 'm:a', value: new Uint8Array(0) }])).toThrow(
      /empty/,
    );
    expect(() => new ServiceInfoReassembler().push([{ key: 'nokey', value: unhex('01') }])).toThrow(
      CborError,
    );
  });

  it('keeps one owner message for one-message bodies, as the chunker sends them', () => {
    const si = [serviceInfoKv('fdo.command', 'args', encode(['+%s']))];
    const bytes = encodeTo2OwnerServiceInfo({ isMoreServiceInfo: false, isDone: false, serviceInfo: si });
    expect(decode(bytes)).toEqual([false, false, [['fdo.command:args', unhex('4581632b2573')]]]);
    const [message] = new ServiceInfoReassembler().push(si);
    expect(decode(message!.body as Uint8Array)).toEqual(['+%s']);
  });
});

describe('cborItemExtent', () => {
  it.each([
    ['a small int', '01', { complete: true, end: 1 }],
    ['a truncated 8-byte int', '1b0000', { complete: false, needed: 9 }],
    ['a truncated byte string', '5818aabb', { complete: false, needed: 26 }],
    ['a complete nested item', 'd28243a1012682f6f5', { complete: true, end: 9 }],
    ['an array missing items', '83010203', { complete: true, end: 4 }],
    ['an array with items to come', '830102', { complete: false, needed: 4 }],
    ['a map with values to come', 'a2010203', { complete: false, needed: 5 }],
    ['a float', 'fb3ff8000000000000', { complete: true, end: 9 }],
  ])('%s', (_name, h, extent) => {
    expect(cborItemExtent(unhex(h))).toEqual(extent);
  });

  it('rejects indefinite lengths, reserved values, huge lengths and deep nesting', () => {
    expect(() => cborItemExtent(unhex('5f'))).toThrow(/indefinite/);
    expect(() => cborItemExtent(unhex('1d'))).toThrow(/reserved/);
    expect(() => cborItemExtent(unhex('5bffffffffffffffff'))).toThrow(/2\^53/);
    expect(() => cborItemExtent(new Uint8Array(100).fill(0x81))).toThrow(/deeply/);
  });
});
