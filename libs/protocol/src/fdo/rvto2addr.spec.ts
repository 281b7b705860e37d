import { describe, expect, it } from 'vitest';
import { CborError, encode } from '../cbor';
import {
  buildRvTo2Addr,
  decodeRvTo2Addrs,
  encodeRvTo2Addrs,
  rvTo2AddrUrl,
  transportProtocolFromNumber,
  transportProtocolToNumber,
} from './rvto2addr';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('RVTO2Addr', () => {
  it('encodes TransportProtocol numbers, not RVProtocol ones', () => {
    const addrs = [
      buildRvTo2Addr({ dns: 'owner.example.com', port: 8043, protocol: 'https' }),
      buildRvTo2Addr({ ip: '2001:db8::5', port: 80, protocol: 'http' }),
    ];
    const bytes = encodeRvTo2Addrs(addrs);
    // [[null, "owner.example.com", 8043, 5], [h'2001...05', null, 80, 3]]
    expect(hex(bytes)).toBe(
      '8284f6716f776e65722e6578616d706c652e636f6d191f6b0584502001' +
        '0db8' +
        '0'.repeat(22) +
        '05' +
        'f6185003',
    );
    expect(decodeRvTo2Addrs(bytes)).toEqual(addrs);
    expect(addrs.map(rvTo2AddrUrl)).toEqual(['https://owner.example.com:8043', 'http://[2001:db8::5]:80']);
  });

  it('maps every TransportProtocol both ways', () => {
    for (const name of ['tcp', 'tls', 'http', 'coap', 'https', 'coaps'] as const)
      expect(transportProtocolFromNumber(transportProtocolToNumber(name))).toBe(name);
    expect(() => transportProtocolFromNumber(0)).toThrow(/unknown TransportProtocol 0/);
  });

  it.each([
    ['neither IP nor DNS', [[null, null, 80, 3]], /needs an IP address or a DNS name/],
    ['a 3-byte IP', [[new Uint8Array(3), null, 80, 3]], /expected 4 or 16 bytes/],
    ['a port above 65535', [[null, 'a', 70000, 3]], /port: 70000 exceeds/],
    ['an RVProtocol-only number', [[null, 'a', 80, 7]], /unknown TransportProtocol 7/],
    ['a short entry', [[null, 'a', 80]], /expected 4 items/],
  ])('rejects %s with a CborError', (_name, value, message) => {
    const bytes = encode(value as never);
    expect(() => decodeRvTo2Addrs(bytes)).toThrow(CborError);
    expect(() => decodeRvTo2Addrs(bytes)).toThrow(message);
  });

  it('refuses to build an address without a host', () => {
    expect(() => buildRvTo2Addr({ port: 80, protocol: 'http' })).toThrow(CborError);
  });
});
