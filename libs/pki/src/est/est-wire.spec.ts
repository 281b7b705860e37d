import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CertificateIssuer } from '../ca/certificate-issuer';
import { PkiError } from '../errors';
import { testClock, testCustody } from '../support.testing';
import { certsOnly, csrAttributes, estBase64Decode, estBase64Encode, parseCertsOnly } from './est-wire';

describe('EST wire formats (RFC 7030)', () => {
  it('base64 with line breaks round-trips; anything else is malformed-est-body', () => {
    const der = new Uint8Array(200).map((_, i) => i);
    const text = estBase64Encode(der);
    expect(text.split('\r\n').every((line) => line.length <= 64)).toBe(true);
    expect(estBase64Decode(text)).toEqual(der);
    expect(estBase64Decode(Buffer.from(text))).toEqual(der);
    for (const bad of ['', '   ', '%%%', 'abc*', 'a']) expect(() => estBase64Decode(bad)).toThrow(PkiError);
  });

  it('certs-only CMS carries the certificates in order and openssl reads it', async () => {
    const clock = testClock('2026-06-01T00:00:00Z');
    const { custody } = testCustody(clock.now);
    await custody.generateKey({ keyId: 'ca', spec: 'P-256', purpose: 'ca' });
    const issuer = new CertificateIssuer({
      custody,
      now: clock.now,
      randomBytes: (n) => new Uint8Array(n).fill(7),
    });
    const root = await issuer.createRootCa({
      keyId: 'ca',
      subject: { commonName: 'EST Root' },
      validityDays: 10,
    });
    const cms = certsOnly([root.certificate]);
    expect(parseCertsOnly(cms)).toEqual([root.certificate]);
    const printed = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], {
      input: cms,
      encoding: 'utf8',
    });
    expect(printed).toContain('subject=CN = EST Root');
    expect(() => parseCertsOnly(new Uint8Array([0x30, 0x00]))).toThrow(PkiError);
  });

  it('csrattrs name the key type and signature algorithm of the CA', () => {
    const p256 = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], {
      input: csrAttributes('P-256'),
      encoding: 'utf8',
    });
    expect(p256).toContain('id-ecPublicKey');
    expect(p256).toContain('prime256v1');
    expect(p256).toContain('ecdsa-with-SHA256');
    const rsa = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], {
      input: csrAttributes('RSA-2048'),
      encoding: 'utf8',
    });
    expect(rsa).toContain('rsaEncryption');
    expect(rsa).toContain('sha256WithRSAEncryption');
  });
});
