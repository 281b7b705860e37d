import { type X509Certificate } from 'node:crypto';
import { CryptoError } from './errors';

function describe(cert: X509Certificate, index: number): string {
  return `certificate ${index} (${cert.subject.replace(/\n/g, ', ')})`;
}

function checkValidity(cert: X509Certificate, label: string, now: Date): void {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore)
    throw new CryptoError('untrusted-chain', `${label} is not valid before ${cert.validFrom}`);
  if (now > notAfter) throw new CryptoError('untrusted-chain', `${label} expired on ${cert.validTo}`);
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return parent.ca && child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Validates a certificate chain (leaf first) against trust anchors: every certificate is within
 * its validity period at `now`, each is issued and signed by the next (which must be a CA), and
 * the path ends at an anchor, either a certificate of the chain itself or the CA that issued the
 * last one. Throws CryptoError('untrusted-chain') saying which certificate failed.
 */
export function verifyCertificateChain(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: Date = new Date(),
): void {
  if (chain.length === 0) throw new CryptoError('untrusted-chain', 'the certificate chain is empty');
  const isAnchor = (cert: X509Certificate) => anchors.some((anchor) => anchor.raw.equals(cert.raw));
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    checkValidity(cert, describe(cert, i), now);
    if (isAnchor(cert)) return;
    const parent = chain[i + 1];
    if (parent) {
      if (!issuedBy(cert, parent))
        throw new CryptoError(
          'untrusted-chain',
          `${describe(cert, i)} is not issued and signed by the next certificate`,
        );
      continue;
    }
    const anchor = anchors.find((candidate) => issuedBy(cert, candidate));
    if (!anchor)
      throw new CryptoError('untrusted-chain', `${describe(cert, i)} is not issued by a trusted CA`);
    checkValidity(anchor, `trusted CA ${anchor.subject.replace(/\n/g, ', ')}`, now);
  }
}
