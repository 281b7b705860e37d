import { describe, expect, it } from 'vitest';
import { asArray, CborError, decode, encode } from '../cbor';
import { RvProtocol, RvVariable, TransportProtocol } from './constants';
import { CAPTURE_FOLDERS, captureBodies } from './messages/captures.testing';
import { decodeDiSetCredentials } from './messages';
import { ipBytesToText, ipTextToBytes } from './rendezvous-info-ip';
import {
  decodeRendezvousInfo,
  encodeRendezvousInfo,
  rendezvousInfoFromCbor,
  rvProtocolFromNumber,
  rvProtocolToNumber,
  type RendezvousInfo,
} from './rendezvous-info';
import {
  buildRendezvousInfo,
  buildRvDirective,
  parseRvDirective,
  RendezvousSpecError,
  resolveRendezvousInfo,
} from './rendezvous-info-view';
import { rvProtocolToTransport, transportProtocolToNumber } from './rvto2addr';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** The RendezvousInfo inside the OVHeader go-fdo's manufacturer sent in each capture. */
function capturedRvInfo(folder: string): { info: RendezvousInfo; bytes: Uint8Array } {
  const body = captureBodies(folder).find((c) => c.type === 11)!;
  const header = asArray(decodeDiSetCredentials(body.bytes).ovHeader.decode(), 'OVHeader');
  return { info: rendezvousInfoFromCbor(header[2]), bytes: encode(header[2]) };
}

describe('RendezvousInfo from the go-fdo captures', () => {
  it.each(CAPTURE_FOLDERS.map((f) => [f] as const))(
    '%s: decodes and re-encodes byte-identically',
    (folder) => {
      const { info, bytes } = capturedRvInfo(folder);
      expect(hex(encodeRendezvousInfo(info))).toBe(hex(bytes));
      expect(hex(encodeRendezvousInfo(decodeRendezvousInfo(bytes)))).toBe(hex(bytes));
    },
  );

  it('holds a delay-only directive and an HTTP directive with a 16-byte IPv4-mapped address', () => {
    const { info } = capturedRvInfo('basic');
    expect(info).toHaveLength(2);
    expect(parseRvDirective(info[0]!)).toMatchObject({ delaySec: 0, dns: [], ipAddresses: [] });
    const view = parseRvDirective(info[1]!);
    expect(view.protocol).toBe('http');
    expect(view.devPort).toBe(9998);
    expect(view.ownerPort).toBeUndefined();
    expect(view.ipAddresses.map((ip) => ip.length)).toEqual([16]);
    expect(view.ipAddresses.map((ip) => ipBytesToText(ip))).toEqual(['127.0.0.1']);
  });

  it('resolves like go-fdo: the device gets DevPort, the owner falls back to the default HTTP port', () => {
    const { info } = capturedRvInfo('basic');
    expect(resolveRendezvousInfo(info, 'device')).toEqual([
      { directive: 0, protocol: 'tls', urls: [], bypass: false, delaySec: 0 },
      { directive: 1, protocol: 'http', urls: ['http://127.0.0.1:9998'], bypass: false, delaySec: 0 },
    ]);
    expect(resolveRendezvousInfo(info, 'owner')[1]!.urls).toEqual(['http://127.0.0.1:80']);
  });
});

describe('building RendezvousInfo', () => {
  it('writes protocol, both ports and 4-byte IPv4 by default', () => {
    const directive = buildRvDirective({
      ip: '192.0.2.10',
      dns: 'rv.example.com',
      port: 8041,
      protocol: 'https',
    });
    expect(directive.map((i) => i.variable)).toEqual([
      RvVariable.Dns,
      RvVariable.IPAddress,
      RvVariable.Protocol,
      RvVariable.DevPort,
      RvVariable.OwnerPort,
    ]);
    expect(hex(directive[1]!.value!)).toBe('44c000020a');
    expect(hex(directive[2]!.value!)).toBe('02');
    expect(resolveRendezvousInfo([directive], 'device')[0]!.urls).toEqual([
      'https://rv.example.com:8041',
      'https://192.0.2.10:8041',
    ]);
    expect(resolveRendezvousInfo([directive], 'owner')[0]!.urls).toEqual([
      'https://rv.example.com:8041',
      'https://192.0.2.10:8041',
    ]);
  });

  it('can write the go-fdo 16-byte IPv4 form, byte-identical to the capture', () => {
    const built = buildRvDirective({ ip: '127.0.0.1', port: 9998, protocol: 'http', devOnly: true });
    const ip = built.find((i) => i.variable === RvVariable.IPAddress)!;
    expect(hex(ip.value!)).toBe('447f000001');
    const mapped = buildRvDirective({ ip: '127.0.0.1', port: 9998, protocol: 'http', ipv4Mapped: true });
    const { info } = capturedRvInfo('basic');
    const capturedIp = info[1]!.find((i) => i.variable === RvVariable.IPAddress)!;
    expect(hex(mapped.find((i) => i.variable === RvVariable.IPAddress)!.value!)).toBe(hex(capturedIp.value!));
  });

  it('writes flags in the one-element form and honours devOnly, ownerOnly and bypass per side', () => {
    const info = buildRendezvousInfo([
      { dns: 'owner.example.com', port: 443, protocol: 'https', bypass: true, devOnly: true },
      { dns: 'rv.example.com', port: 8080, protocol: 'http', ownerOnly: true, delaySec: 30 },
      { ip: '2001:db8::1', port: 80, protocol: 'http' },
    ]);
    // [[[0], [5, h'716f...'], ...]]: DevOnly as the one-element instruction go-fdo and PRI send.
    expect(hex(encodeRendezvousInfo(info)).startsWith('8385810082055271')).toBe(true);
    expect(info[0]!.at(-1)).toEqual({ variable: RvVariable.Bypass });
    expect(resolveRendezvousInfo(info, 'device')).toEqual([
      { directive: 0, protocol: 'https', urls: ['https://owner.example.com:443'], bypass: true, delaySec: 0 },
      { directive: 2, protocol: 'http', urls: ['http://[2001:db8::1]:80'], bypass: false, delaySec: 0 },
    ]);
    expect(resolveRendezvousInfo(info, 'owner')).toEqual([
      { directive: 1, protocol: 'http', urls: ['http://rv.example.com:8080'], bypass: false, delaySec: 30 },
      { directive: 2, protocol: 'http', urls: ['http://[2001:db8::1]:80'], bypass: false, delaySec: 0 },
    ]);
    expect(hex(encodeRendezvousInfo(decodeRendezvousInfo(encodeRendezvousInfo(info))))).toBe(
      hex(encodeRendezvousInfo(info)),
    );
  });

  it.each([
    ['no address', { port: 80, protocol: 'http' as const }],
    ['a bad port', { dns: 'a', port: 70000, protocol: 'http' as const }],
    ['a bad IP', { ip: '300.1.1.1', port: 80, protocol: 'http' as const }],
    [
      'both sides excluded',
      { dns: 'a', port: 80, protocol: 'http' as const, devOnly: true, ownerOnly: true },
    ],
    ['a negative delay', { dns: 'a', port: 80, protocol: 'http' as const, delaySec: -1 }],
  ])('refuses a spec with %s', (_name, spec) => {
    expect(() => buildRvDirective(spec)).toThrow(RendezvousSpecError);
  });
});

describe('parsing directives', () => {
  it('accepts the fdo-rs flag form [var, h"f6"] and keeps it for re-encoding', () => {
    // [[[0, h'f6']]]: one directive whose DevOnly value is CBOR null.
    const info = decodeRendezvousInfo(unhex('8181820041f6'));
    expect(parseRvDirective(info[0]!).devOnly).toBe(true);
    expect(info[0]![0]!.value).toEqual(unhex('f6'));
    expect(hex(encodeRendezvousInfo(info))).toBe('8181820041f6');
    expect(parseRvDirective([{ variable: RvVariable.Bypass, value: encode(false) }]).bypass).toBe(false);
  });

  it('types every variable and keeps unknown ones', () => {
    const value = (v: unknown) => encode(v as never);
    const view = parseRvDirective([
      { variable: RvVariable.SvCertHash, value: value([-16, new Uint8Array(32)]) },
      { variable: RvVariable.ClCertHash, value: value([-43, new Uint8Array(48)]) },
      { variable: RvVariable.UserInput, value: value(true) },
      { variable: RvVariable.WifiSsid, value: value('lab') },
      { variable: RvVariable.WifiPw, value: value('secret') },
      { variable: RvVariable.Medium, value: value(20) },
      { variable: RvVariable.ExtRV, value: value(['use_ai', 3]) },
      { variable: 99, value: value(1) },
    ]);
    expect(view).toMatchObject({
      userInput: true,
      wifiSsid: 'lab',
      wifiPw: 'secret',
      medium: 20,
      extRv: ['use_ai', 3],
    });
    expect(view.svCertHash).toEqual([-16, new Uint8Array(32)]);
    expect(view.unknown).toEqual([{ variable: 99, value: value(1) }]);
  });

  it.each([
    ['a text port', RvVariable.DevPort, encode('80'), /DevPort: expected an integer/],
    ['a port above 65535', RvVariable.OwnerPort, encode(65536), /OwnerPort: 65536 exceeds/],
    ['an unknown protocol', RvVariable.Protocol, encode(9), /unknown RVProtocol 9/],
    ['a 5-byte IP', RvVariable.IPAddress, encode(new Uint8Array(5)), /expected 4 or 16 bytes/],
    ['a value that is not CBOR', RvVariable.Dns, unhex('61'), /Dns/],
    ['a missing value', RvVariable.Dns, undefined, /value missing/],
  ])('rejects %s with a CborError', (_name, variable, value, message) => {
    const err = (() => {
      try {
        parseRvDirective([value === undefined ? { variable } : { variable, value }]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CborError);
    expect((err as Error).message).toMatch(message);
  });

  it('rejects malformed wire structures', () => {
    expect(() => decodeRendezvousInfo(encode([[[]]]))).toThrow(/expected 1\.\.2 items/);
    expect(() => decodeRendezvousInfo(encode([[[256, new Uint8Array(1)]]]))).toThrow(/variable/);
    expect(() => decodeRendezvousInfo(encode([[[5, 'text']]]))).toThrow(/value: expected a byte string/);
    expect(() => decode(encodeRendezvousInfo([[{ variable: 5, value: encode('x') }]]))).not.toThrow();
  });
});

describe('protocol enums', () => {
  it('number HTTP differently in RendezvousInfo and RVTO2Addr', () => {
    expect(rvProtocolToNumber('http')).toBe(RvProtocol.Http);
    expect(transportProtocolToNumber('http')).toBe(TransportProtocol.Http);
    expect(RvProtocol.Http).not.toBe(TransportProtocol.Http);
    expect(transportProtocolToNumber(rvProtocolToTransport(rvProtocolFromNumber(2))!)).toBe(
      TransportProtocol.Https,
    );
    expect(rvProtocolToTransport('coap+tcp')).toBeNull();
    expect(rvProtocolToTransport('rest')).toBeNull();
  });
});

describe('IP addresses', () => {
  it.each([
    ['192.0.2.1', 'c0000201', '192.0.2.1'],
    ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001', '10.0.0.1'],
    ['fe80::1:0:0:1', 'fe800000000000000001000000000001', 'fe80::1:0:0:1'],
  ])('%s', (text, bytesHex, printed) => {
    expect(hex(ipTextToBytes(text))).toBe(bytesHex);
    expect(ipBytesToText(unhex(bytesHex))).toBe(printed);
  });

  it('prints IPv6 in RFC 5952 form', () => {
    expect(ipBytesToText(unhex('20010db8000000000001000000000001'))).toBe('2001:db8::1:0:0:1');
    expect(ipBytesToText(new Uint8Array(16))).toBe('::');
  });
});
