import { describe, expect, it } from 'vitest';
import { issueCertificate, TEST_NOW } from '@ztp/protocol/sztp/pki.testing';
import {
  evaluatePolicy,
  grantWaitSeconds,
  type AcceptancePolicy,
  type VoucherFacts,
} from './acceptance-policy';

const MFR = 'a'.repeat(64);
const OWNER = 'b'.repeat(64);

function policy(overrides: Partial<AcceptancePolicy> = {}): AcceptancePolicy {
  return {
    openMode: false,
    minWaitSeconds: 60,
    maxWaitSeconds: 86_400,
    trustedManufacturerKeys: new Set(),
    trustedDeviceCas: [],
    allowedOwnerKeys: new Set(),
    deniedOwnerKeys: new Set(),
    ...overrides,
  };
}

const ca = await issueCertificate({ subject: 'CN=Device CA', ca: true });
const otherCa = await issueCertificate({ subject: 'CN=Other CA', ca: true });
const leaf = await issueCertificate({ subject: 'CN=device', issuer: ca });
const boundCa = { certificate: ca.certificate, manufacturerKeys: new Set([MFR]) };
const facts: VoucherFacts = {
  manufacturerKeySha256: MFR,
  ownerKeySha256: OWNER,
  deviceChain: [leaf.certificate],
};

describe('evaluatePolicy', () => {
  it('open mode with empty lists accepts; closed mode refuses', () => {
    expect(evaluatePolicy(policy({ openMode: true }), facts, TEST_NOW)).toEqual({ accepted: true });
    expect(evaluatePolicy(policy(), facts, TEST_NOW)).toMatchObject({ accepted: false, reason: /closed/ });
  });

  it('accepts a trusted manufacturer key, or a device chain leading to a trusted CA', () => {
    expect(
      evaluatePolicy(policy({ trustedManufacturerKeys: new Set([MFR]) }), facts, TEST_NOW).accepted,
    ).toBe(true);
    expect(evaluatePolicy(policy({ trustedDeviceCas: [boundCa] }), facts, TEST_NOW).accepted).toBe(true);
  });

  it("refuses a forged voucher: the victim's real device chain with another manufacturer key", () => {
    const forged: VoucherFacts = { ...facts, manufacturerKeySha256: 'e'.repeat(64) };
    expect(evaluatePolicy(policy({ trustedDeviceCas: [boundCa] }), forged, TEST_NOW)).toMatchObject({
      accepted: false,
      reason: /not trusted/,
    });
    // A CA bound to no key vouches for nothing.
    const unbound = { certificate: ca.certificate, manufacturerKeys: new Set<string>() };
    expect(evaluatePolicy(policy({ trustedDeviceCas: [unbound] }), facts, TEST_NOW).accepted).toBe(false);
  });

  it('refuses when trust lists exist and nothing matches, even in open mode', () => {
    const refused = evaluatePolicy(
      policy({
        openMode: true,
        trustedManufacturerKeys: new Set(['c'.repeat(64)]),
        trustedDeviceCas: [{ certificate: otherCa.certificate, manufacturerKeys: new Set([MFR]) }],
      }),
      facts,
      TEST_NOW,
    );
    expect(refused).toMatchObject({ accepted: false, reason: /not trusted/ });
  });

  it('refuses a device chain outside the CA validity period', () => {
    const later = new Date('2040-01-01T00:00:00Z');
    expect(evaluatePolicy(policy({ trustedDeviceCas: [boundCa] }), facts, later).accepted).toBe(false);
  });

  it('applies owner allow and deny lists; a deny wins over everything', () => {
    expect(evaluatePolicy(policy({ allowedOwnerKeys: new Set([OWNER]) }), facts, TEST_NOW).accepted).toBe(
      true,
    );
    expect(
      evaluatePolicy(
        policy({ openMode: true, allowedOwnerKeys: new Set(['d'.repeat(64)]) }),
        facts,
        TEST_NOW,
      ),
    ).toMatchObject({ accepted: false, reason: /allow list/ });
    expect(
      evaluatePolicy(
        policy({
          openMode: true,
          trustedManufacturerKeys: new Set([MFR]),
          deniedOwnerKeys: new Set([OWNER]),
        }),
        facts,
        TEST_NOW,
      ),
    ).toMatchObject({ accepted: false, reason: /deny list/ });
  });
});

describe('grantWaitSeconds', () => {
  it('cuts to the maximum and raises to the minimum', () => {
    const p = policy({ minWaitSeconds: 300, maxWaitSeconds: 3600 });
    expect(grantWaitSeconds(p, 0xffffffff)).toBe(3600);
    expect(grantWaitSeconds(p, 1200)).toBe(1200);
    expect(grantWaitSeconds(p, 0)).toBe(300);
  });
});
