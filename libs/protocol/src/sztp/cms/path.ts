import { bytesEqual } from '../binary';
import { SztpVerificationError } from '../errors';
import { type CertificateInfo } from './certificate';

/**
 * Certificate path building for the two SZTP trust decisions: voucher signer → manufacturer trust
 * anchor, and owner certificate → the voucher's pinned-domain-cert. It checks issuer/subject and
 * key identifier linkage and key usage (OpenSSL's X509_check_issued), signatures, the CA flag of
 * intermediates and, when a time is given, validity periods. It does not do revocation, name or
 * policy constraints: callers needing those (domain-cert-revocation-checks = true) must add them.
 */
export interface PathOptions {
  /** Validity periods are checked at this instant; omitted means not checked (no clock is read). */
  readonly at?: Date;
  /** Maximum number of certificates in a path (default 8). */
  readonly maxLength?: number;
}

function issuedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** Returns the path leaf → … → anchor (a leaf that is itself an anchor gives `[leaf]`). */
export function buildCertificatePath(
  leaf: CertificateInfo,
  intermediates: readonly CertificateInfo[],
  anchors: readonly CertificateInfo[],
  options: PathOptions = {},
): CertificateInfo[] {
  const maxLength = options.maxLength ?? 8;
  const isAnchor = (c: CertificateInfo) => anchors.some((a) => bytesEqual(a.der, c.der));

  const search = (path: CertificateInfo[]): CertificateInfo[] | undefined => {
    const current = path[path.length - 1]!;
    if (isAnchor(current)) return path;
    if (path.length >= maxLength) return undefined;
    const anchor = anchors.find((a) => issuedBy(current, a));
    if (anchor !== undefined) return [...path, anchor];
    for (const candidate of intermediates) {
      if (
        path.some((p) => bytesEqual(p.der, candidate.der)) ||
        !candidate.isCa ||
        !issuedBy(current, candidate)
      )
        continue;
      const found = search([...path, candidate]);
      if (found !== undefined) return found;
    }
    return undefined;
  };

  const path = search([leaf]);
  if (path === undefined) {
    throw new SztpVerificationError(
      'untrusted',
      `no certificate path from "${leaf.x509.subject}" to a trusted certificate`,
    );
  }
  if (options.at !== undefined) {
    const at = options.at.getTime();
    for (const certificate of path) {
      if (at < certificate.notBefore.getTime() || at > certificate.notAfter.getTime()) {
        throw new SztpVerificationError(
          'certificate-expired',
          `"${certificate.x509.subject}" is valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}, not at ${options.at.toISOString()}`,
        );
      }
    }
  }
  return path;
}
