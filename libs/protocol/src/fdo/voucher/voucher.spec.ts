import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asArray, asMap, decode, encode } from '../../cbor';
import { parsePemBlocks } from '../../crypto/pem';
import { HashAlg, PkEnc, PkType } from '../constants';
import { guidToHex } from '../guid';
import { captureVoucherBytes, fixtureBytes, fixtureText, VOUCHER_FIXTURES } from './fixtures.testing';
import {
  parseVoucher,
  readVoucher,
  summarizeVoucher,
  verifyVoucher,
  voucherDeviceCertificates,
  voucherDevicePublicKey,
  voucherFromPem,
  voucherOwnerKey,
  vouchersFromPem,
  voucherToPem,
  VoucherError,
  type OwnershipVoucher,
} from './index';

const base64Of = (pem: string) =>
  /-----BEGIN OWNERSHIP VOUCHER-----([\s\S]*?)-----END/.exec(pem)![1]!.replace(/\s+/g, '');

function caught(fn: () => unknown): VoucherError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VoucherError);
    return err as VoucherError;
  }
  throw new Error('expected a VoucherError');
}

/** go-fdo's device credential (dc.bin) keeps the HMAC secret under {"Plain": {"hmac_secret": [bytes]}}. */
function goFdoHmacSecret(): Uint8Array {
  const credential = asArray(decode(fixtureBytes('fdo/go-fdo/dc.bin')), 'credential');
  const secrets = asMap(asMap(credential[6]!, 'secrets').get('Plain')!, 'plain');
  return Uint8Array.from(secrets.get('hmac_secret') as number[]);
}

describe('voucher fixtures from go-fdo and fido-device-onboard-rs', () => {
  it.each(VOUCHER_FIXTURES)('%s parses, verifies and re-exports byte for byte', (path) => {
    const file = fixtureBytes(path);
    const voucher = readVoucher(file);
    expect(() => verifyVoucher(voucher)).not.toThrow();
    if (path.endsWith('.pem')) {
      const pem = voucherToPem(voucher);
      expect(base64Of(pem)).toBe(base64Of(fixtureText(path)));
      expect(
        pem
          .split('\n')
          .slice(1, -3)
          .every((line) => line.length === 64),
      ).toBe(true);
      expect(readVoucher(pem).bytes).toEqual(voucher.bytes);
    } else {
      expect(voucher.bytes).toEqual(file);
    }
    expect(parseVoucher(voucher.bytes).bytes).toEqual(voucher.bytes);
  });

  it('reads go-fdo ov.pem: header fields, keys and device chain', () => {
    const voucher = voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
    expect(voucher.protocolVersion).toBe(101);
    expect(guidToHex(voucher.header.guid)).toBe('66b2146ffec53ca6ad017625990572ce');
    expect(voucher.header.deviceInfo).toBe('go.fdo.example');
    expect(voucher.header.manufacturerKey.type).toBe(PkType.SECP384R1);
    expect(voucher.header.manufacturerKey.encoding).toBe(PkEnc.X509);
    expect(voucher.headerHmac.alg).toBe(HashAlg.HMAC_SHA384);
    expect(voucher.entries).toHaveLength(0);
    expect(voucherOwnerKey(voucher)).toBe(voucher.header.manufacturerKey);
    expect(voucherDeviceCertificates(voucher)!.map((c) => c.subject)).toEqual([
      'CN=go.fdo.example',
      'CN=dev.ca.fdo',
    ]);
    expect(voucherDevicePublicKey(voucher)!.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('checks the header HMAC when given the device secret (go-fdo dc.bin)', () => {
    const voucher = voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
    expect(() => verifyVoucher(voucher, { hmacSecret: goFdoHmacSecret() })).not.toThrow();
    expect(caught(() => verifyVoucher(voucher, { hmacSecret: new Uint8Array(32) })).code).toBe('bad-hmac');
  });

  it('verifies the voucher go-fdo registered over TO0 (P-384, SHA-384, empty OVEExtra map)', () => {
    const voucher = parseVoucher(captureVoucherBytes());
    verifyVoucher(voucher);
    expect(voucher.entries).toHaveLength(1);
    expect(voucher.entries[0]!.prevHash.alg).toBe(HashAlg.SHA384);
    expect(voucher.entries[0]!.extra).toEqual(new Map());
  });

  it('verifies the fdo-rs voucher that pairs P-256 keys with SHA-384 hashes', () => {
    const voucher = voucherFromPem(fixtureText('fdo/fdo-rs/v101-voucher1.pem'));
    expect(voucher.header.manufacturerKey.type).toBe(PkType.SECP256R1);
    expect(voucher.entries[0]!.prevHash.alg).toBe(HashAlg.SHA384);
    expect(() => verifyVoucher(voucher)).not.toThrow();
    expect(voucher.bytes).toEqual(fixtureBytes('fdo/fdo-rs/testdevice1.ov'));
  });

  it('refuses the FDO 1.0 voucher with an error saying so', () => {
    const error = caught(() => readVoucher(fixtureBytes('fdo/fdo-rs/v100-voucher1.pem')));
    expect(error.code).toBe('fdo-1.0');
    expect(error.message).toMatch(/FDO 1\.0/);
  });

  it('refuses protocol version 100 in the 1.1 layout and other versions', () => {
    const bytes = Uint8Array.from(fixtureBytes('fdo/fdo-rs/testdevice1.ov'));
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0x85, 0x18, 0x65]);
    bytes[2] = 0x64;
    expect(caught(() => parseVoucher(bytes)).code).toBe('fdo-1.0');
    bytes[2] = 0x66;
    expect(caught(() => parseVoucher(bytes)).code).toBe('unsupported-version');
  });

  it.each([
    ['empty input', new Uint8Array(0)],
    ['a CBOR map', encode(new Map([[1, 2]]))],
    ['a 5-item array of nonsense', encode([101, 1, 2, 3, 4])],
    ['a truncated voucher', fixtureBytes('fdo/fdo-rs/testdevice1.ov').subarray(0, 700)],
    ['trailing bytes', Uint8Array.from([...fixtureBytes('fdo/fdo-rs/testdevice1.ov'), 0])],
  ])('refuses %s as malformed', (_name, bytes) => {
    expect(caught(() => parseVoucher(bytes)).code).toBe('malformed');
  });
});

describe('voucher PEM', () => {
  const pem = fixtureText('fdo/fdo-rs/v101-voucher2.pem');

  it('tolerates CRLF, indentation, surrounding text and other PEM blocks', () => {
    const messy = `exported by a tool\r\n\r\n${pem.replace(/\n/g, '\r\n  ')}\r\n${fixtureText('fdo/go-fdo/mfg_key.pem')}`;
    expect(readVoucher(messy).bytes).toEqual(voucherFromPem(pem).bytes);
    expect(readVoucher(new TextEncoder().encode(messy)).bytes).toEqual(voucherFromPem(pem).bytes);
  });

  it('reads several vouchers from one file and skips other blocks', () => {
    const both = pem + fixtureText('fdo/go-fdo/mfg_key.pem') + fixtureText('fdo/go-fdo/ov.pem');
    expect(vouchersFromPem(both).map((v) => v.header.deviceInfo)).toEqual(['DemoDevice', 'go.fdo.example']);
    expect(parsePemBlocks(both).map((b) => b.label)).toEqual([
      'OWNERSHIP VOUCHER',
      'EC PRIVATE KEY',
      'OWNERSHIP VOUCHER',
    ]);
  });

  it.each([
    ['no voucher block', fixtureText('fdo/go-fdo/mfg_key.pem')],
    ['mismatched END label', pem.replace('END OWNERSHIP VOUCHER', 'END CERTIFICATE')],
    ['a body that is not base64', pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!')],
    ['plain text', 'hello'],
  ])('refuses %s as malformed', (_name, text) => {
    expect(caught(() => readVoucher(text)).code).toBe('malformed');
  });
});

describe('device certificate chain', () => {
  const goFdo = () => voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
  const caOf = (voucher: OwnershipVoucher) => voucherDeviceCertificates(voucher)!.at(-1)!;
  const inside = new Date('2030-01-01T00:00:00Z');

  it('validates against a trusted device CA', () => {
    const voucher = goFdo();
    expect(() => verifyVoucher(voucher, { trustedDeviceCas: [caOf(voucher)], now: inside })).not.toThrow();
  });

  it('refuses a chain from another CA, an expired chain and a chain without a trust anchor', () => {
    const voucher = goFdo();
    const other = caOf(voucherFromPem(fixtureText('fdo/fdo-rs/v101-voucher1.pem')));
    const error = caught(() => verifyVoucher(voucher, { trustedDeviceCas: [other], now: inside }));
    expect(error.code).toBe('untrusted-device-chain');
    expect(error.message).toMatch(/certificate 1 \(CN=dev\.ca\.fdo\) is not issued by a trusted CA/);
    const expired = caught(() =>
      verifyVoucher(voucher, { trustedDeviceCas: [caOf(voucher)], now: new Date('2035-01-01T00:00:00Z') }),
    );
    expect(expired.message).toMatch(/expired/);
    expect(caught(() => verifyVoucher(voucher, { trustedDeviceCas: [], now: inside })).code).toBe(
      'untrusted-device-chain',
    );
  });

  it('checks every link: the fdo-rs chain was valid in 2022 and has expired since', () => {
    const voucher = voucherFromPem(fixtureText('fdo/fdo-rs/v101-voucher1.pem'));
    const trustedDeviceCas = [caOf(voucher)];
    expect(() =>
      verifyVoucher(voucher, { trustedDeviceCas, now: new Date('2022-06-01T00:00:00Z') }),
    ).not.toThrow();
    expect(caught(() => verifyVoucher(voucher, { trustedDeviceCas })).message).toMatch(
      /certificate 1 .*expired/,
    );
  });

  it('accepts a trust anchor that is the leaf itself', () => {
    const voucher = goFdo();
    const leaf = new X509Certificate(voucher.deviceCertChain![0]!);
    expect(() => verifyVoucher(voucher, { trustedDeviceCas: [leaf], now: inside })).not.toThrow();
  });
});

describe('voucher summary', () => {
  it('describes ov.pem for inspection', () => {
    const summary = summarizeVoucher(voucherFromPem(fixtureText('fdo/go-fdo/ov.pem')));
    expect(summary.guid).toBe('66b2146ffec53ca6ad017625990572ce');
    expect(summary.rendezvousInfo).toEqual([
      [
        { variable: 'IPAddress', value: '192.168.122.1' },
        { variable: 'DevPort', value: 8082 },
        { variable: 'OwnerPort', value: 8082 },
        { variable: 'Protocol', value: 'Http' },
      ],
      [
        { variable: 'Dns', value: 'fdo.example.com' },
        { variable: 'DevPort', value: 8082 },
        { variable: 'OwnerPort', value: 8082 },
        { variable: 'Protocol', value: 'Http' },
      ],
    ]);
    expect(summary.manufacturerKey).toMatchObject({ type: 'SECP384R1', encoding: 'X509', key: 'EC P-384' });
    expect(summary.ownerKey).toEqual(summary.manufacturerKey);
    expect(summary.deviceCertChain!.map((c) => c.subject)).toEqual(['CN=go.fdo.example', 'CN=dev.ca.fdo']);
    expect(summary.certChainHash!.alg).toBe('SHA-384');
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('lists entries with their algorithms and keys', () => {
    const summary = summarizeVoucher(voucherFromPem(fixtureText('fdo/fdo-rs/v101-voucher2.pem')));
    expect(summary.entries.map((e) => [e.index, e.signatureAlg, e.prevHash.alg, e.publicKey.type])).toEqual([
      [0, 'ES256', 'SHA-256', 'SECP256R1'],
      [1, 'ES256', 'SHA-256', 'SECP256R1'],
    ]);
    expect(summary.ownerKey).toEqual(summary.entries[1]!.publicKey);
  });
});
