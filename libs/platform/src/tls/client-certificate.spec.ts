import { describe, expect, it } from 'vitest';
import { clientCertificateOf, isTrustedProxy, parseForwardedCertificate } from './client-certificate';

// Any DER SEQUENCE stands in for a certificate here: parsing is left to whoever trusts it.
const leaf = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
const intermediate = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x02]);
const pem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;

describe('parseForwardedCertificate', () => {
  it('reads URL-encoded PEM with its chain (nginx), space-folded PEM (Apache) and base64 DER', () => {
    expect(parseForwardedCertificate(encodeURIComponent(pem(leaf) + pem(intermediate)))).toEqual({
      leaf: new Uint8Array(leaf),
      chain: [new Uint8Array(intermediate)],
    });
    expect(parseForwardedCertificate(pem(leaf).replace(/\n/g, ' '))).toEqual({
      leaf: new Uint8Array(leaf),
      chain: [],
    });
    expect(parseForwardedCertificate(leaf.toString('base64'))).toEqual({
      leaf: new Uint8Array(leaf),
      chain: [],
    });
  });

  it('refuses what is not a certificate', () => {
    expect(parseForwardedCertificate('%E0%A4%A')).toBeUndefined();
    expect(parseForwardedCertificate('hello world')).toBeUndefined();
    expect(parseForwardedCertificate(Buffer.from('not der').toString('base64'))).toBeUndefined();
    expect(parseForwardedCertificate('')).toBeUndefined();
  });
});

describe('isTrustedProxy', () => {
  it('matches addresses and CIDRs of both families, IPv4-mapped peers included', () => {
    const proxies = ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'];
    expect(isTrustedProxy('10.1.2.3', proxies)).toBe(true);
    expect(isTrustedProxy('::ffff:10.1.2.3', proxies)).toBe(true);
    expect(isTrustedProxy('192.0.2.7', proxies)).toBe(true);
    expect(isTrustedProxy('192.0.2.8', proxies)).toBe(false);
    expect(isTrustedProxy('fd12::1', proxies)).toBe(true);
    expect(isTrustedProxy('2001:db8::1', proxies)).toBe(false);
    expect(isTrustedProxy(undefined, proxies)).toBe(false);
    expect(isTrustedProxy('10.1.2.3', [])).toBe(false);
  });
});

describe('clientCertificateOf (plain HTTP)', () => {
  const trust = { trustedProxies: ['127.0.0.1'], header: 'x-client-cert' };
  const req = (remoteAddress: string, value?: string) => ({
    socket: { remoteAddress, encrypted: false },
    headers: value === undefined ? {} : { 'x-client-cert': value },
  });

  it('reads the header only from a trusted proxy', () => {
    expect(clientCertificateOf(req('127.0.0.1', leaf.toString('base64')), trust)?.leaf).toEqual(
      new Uint8Array(leaf),
    );
    expect(clientCertificateOf(req('10.9.9.9', leaf.toString('base64')), trust)).toBeUndefined();
    expect(clientCertificateOf(req('127.0.0.1'), trust)).toBeUndefined();
    expect(
      clientCertificateOf(req('127.0.0.1', leaf.toString('base64')), { ...trust, trustedProxies: [] }),
    ).toBeUndefined();
  });
});
