import { parseCertificate, type CertificateInfo } from './cms/certificate';
import { buildCertificatePath } from './cms/path';
import { decodeCertsOnly, encodeCertsOnly } from './cms/signed-data';
import { SztpVerificationError } from './errors';
import { type Voucher } from './voucher';

/**
 * The owner-certificate artifact (RFC 8572 section 3.2): a certs-only CMS with the owner
 * certificate and the intermediates leading to the voucher's pinned-domain-cert (which may be
 * included too). The owner certificate must have no keyUsage or one with digitalSignature.
 */
export function encodeOwnerCertificate(
  ownerCertificate: Uint8Array,
  chain: readonly Uint8Array[] = [],
): Uint8Array {
  return encodeCertsOnly([ownerCertificate, ...chain]);
}

function issues(issuer: CertificateInfo, child: CertificateInfo): boolean {
  try {
    return (
      issuer !== child && child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey)
    );
  } catch {
    return false;
  }
}

/** The end-entity of a single-chain bag: the one certificate that issues none of the others. */
export function endEntityOf(certificates: readonly CertificateInfo[]): CertificateInfo {
  const leaves = certificates.filter((c) => !certificates.some((other) => issues(c, other)));
  if (leaves.length !== 1) {
    throw new SztpVerificationError(
      'untrusted',
      `the certificate bag holds ${leaves.length} end-entity certificates, not one`,
    );
  }
  return leaves[0]!;
}

export function pinnedDomainCertificate(voucher: Voucher): Uint8Array {
  if (voucher.pinnedDomainCert === undefined) {
    throw new SztpVerificationError('pinned-domain-cert-missing', 'the voucher has no pinned-domain-cert');
  }
  return voucher.pinnedDomainCert;
}

export interface VerifiedOwnerCertificate {
  /** DER of the owner (end-entity) certificate. */
  readonly ownerCertificate: Uint8Array;
  /** DER path owner → … → pinned-domain-cert. */
  readonly path: readonly Uint8Array[];
}

/**
 * Device-side check: the owner certificate in the bag chains to the pinned-domain-cert (and is
 * allowed to sign). Revocation is not checked; if the voucher's domain-cert-revocation-checks is
 * true the caller must do that itself.
 */
export function verifyOwnerCertificate(
  ownerCertificateArtifact: Uint8Array,
  pinnedDomainCert: Uint8Array,
  options: { readonly now?: Date } = {},
): VerifiedOwnerCertificate {
  const bag = decodeCertsOnly(ownerCertificateArtifact).map(parseCertificate);
  const owner = endEntityOf(bag);
  const pinned = parseCertificate(pinnedDomainCert);
  const path = buildCertificatePath(
    owner,
    bag.filter((c) => c !== owner),
    [pinned],
    options.now ? { at: options.now } : {},
  );
  if (owner.keyUsage !== undefined && !owner.keyUsage.digitalSignature) {
    throw new SztpVerificationError(
      'certificate-usage',
      'the owner certificate may not sign (no digitalSignature key usage)',
    );
  }
  return { ownerCertificate: owner.der, path: path.map((c) => c.der) };
}
