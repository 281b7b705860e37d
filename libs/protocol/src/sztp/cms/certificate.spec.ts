import { describe, expect, it } from 'vitest';
import { SztpVerificationError } from '../errors';
import { issueCertificate } from '../pki.testing';
import { parseCertificate } from './certificate';

/** The offset of an uncompressed P-256 point in a certificate: BIT STRING of 66 octets, 00 04 ... */
function pointFormOffset(der: Uint8Array): number {
  for (let i = 0; i + 3 < der.length; i++)
    if (der[i] === 0x03 && der[i + 1] === 0x42 && der[i + 2] === 0x00 && der[i + 3] === 0x04) return i + 3;
  throw new Error('no uncompressed P-256 point');
}

describe('parseCertificate: EC subject public keys (RFC 5480 2.2)', () => {
  it('reads an uncompressed point and refuses the hybrid form OpenSSL would take as the same key', async () => {
    const { certificate } = await issueCertificate({ subject: 'CN=point form' });
    const der = new Uint8Array(certificate);
    expect(parseCertificate(der).subject.length).toBeGreaterThan(0);
    for (const hybrid of [0x06, 0x07]) {
      const mutated = Uint8Array.from(der);
      mutated[pointFormOffset(der)] = hybrid;
      expect(() => parseCertificate(mutated)).toThrow(SztpVerificationError);
    }
  });
});
