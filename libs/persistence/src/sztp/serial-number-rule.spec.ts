import { beforeAll, describe, expect, it } from 'vitest';
import { compileSerialNumberPattern, extractSerialNumber, SerialNumberRuleError } from './serial-number-rule';
import { testCertificate, type TestCertificate } from './sztp-test-certificates.testing';

describe('extractSerialNumber', () => {
  let ca: TestCertificate;
  let cisco: TestCertificate;
  let plain: TestCertificate;
  let sanOnly: TestCertificate;

  beforeAll(async () => {
    ca = await testCertificate({ subject: 'CN=Device CA', ca: true });
    // Cisco-style SUDI: serialNumber "PID:<pid> SN:<serial>".
    cisco = await testCertificate({
      subject: '2.5.4.5=PID:C9300-24T SN:FOC2233X0AB, CN=C9300-24T, O=Cisco',
      issuer: ca,
    });
    plain = await testCertificate({ subject: '2.5.4.5=SN-0001, CN=router-1', issuer: ca });
    sanOnly = await testCertificate({
      subject: 'CN=switch',
      issuer: ca,
      dnsNames: ['switch.example.net'],
      uris: ['urn:dev:sn:ABC-42'],
    });
  });

  it('reads the subject serialNumber attribute, whole or through a pattern', () => {
    expect(extractSerialNumber(plain.der, { source: 'subject-serial-number' })).toBe('SN-0001');
    expect(extractSerialNumber(cisco.der, { source: 'subject-serial-number' })).toBe(
      'PID:C9300-24T SN:FOC2233X0AB',
    );
    expect(extractSerialNumber(cisco.der, { source: 'subject-serial-number', pattern: 'SN:(\\S+)' })).toBe(
      'FOC2233X0AB',
    );
  });

  it('reads the common name', () => {
    expect(extractSerialNumber(plain.der, { source: 'common-name' })).toBe('router-1');
  });

  it('reads a subject alternative name through a pattern; without one a two-SAN certificate is ambiguous', () => {
    expect(
      extractSerialNumber(sanOnly.der, { source: 'subject-alt-name', pattern: '^urn:dev:sn:(.+)$' }),
    ).toBe('ABC-42');
    expect(extractSerialNumber(sanOnly.der, { source: 'subject-alt-name' })).toBeUndefined();
  });

  it('finds nothing when the source is absent or the pattern does not match', () => {
    expect(extractSerialNumber(sanOnly.der, { source: 'subject-serial-number' })).toBeUndefined();
    expect(
      extractSerialNumber(plain.der, { source: 'subject-serial-number', pattern: 'SN:(\\S+)' }),
    ).toBeUndefined();
    expect(extractSerialNumber(new Uint8Array([1, 2, 3]), { source: 'common-name' })).toBeUndefined();
  });

  it('refuses patterns that do not compile or are too long', () => {
    expect(() => compileSerialNumberPattern('(')).toThrow(SerialNumberRuleError);
    expect(() => compileSerialNumberPattern('a'.repeat(201))).toThrow(SerialNumberRuleError);
    expect(compileSerialNumberPattern('')).toBeUndefined();
  });
});
