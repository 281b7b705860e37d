import { type KeyObject } from 'node:crypto';
import { type ChainErrorCode, ChainValidationError, PkiError } from '../errors';
import { type CertificateFacts, readCertificate } from '../x509/certificate-facts';
import { x509 } from '../x509/runtime';

export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

export interface ChainValidationOptions {
  /** The instant the chain must be valid at (from the caller's clock). */
  readonly at: Date;
  /** Key usages the leaf must allow, when it has a keyUsage extension. */
  readonly leafKeyUsage?: readonly KeyUsageName[];
  /** EKU OIDs the leaf must allow, when it has an extendedKeyUsage extension. */
  readonly leafExtendedKeyUsage?: readonly string[];
}

export interface ValidatedChain {
  /** The certification path, leaf first, ending with the trust anchor. */
  readonly path: readonly Uint8Array[];
  readonly trustAnchor: Uint8Array;
  readonly leafPublicKey: KeyObject;
}

/** Extensions whose meaning this validator enforces or that carry no constraint; others must not be critical. */
const UNDERSTOOD_EXTENSIONS = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extendedKeyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
]);
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * Validates a chain (DER, leaf first, each certificate issued by the next) against trust anchors at
 * `options.at`. The chain may end with the anchor itself or with the certificate the anchor issued.
 * Checks, in this order: from the anchor down, each issuing certificate is a CA (basicConstraints cA,
 * keyCertSign when keyUsage is present, pathLenConstraint) and the certificate below it names it as
 * issuer and carries its valid signature; then, for every certificate, no unknown critical
 * extension, every certificate (anchor included, as OpenSSL does) is within its validity period, and
 * the leaf allows the requested usages. Any failure is a ChainValidationError naming the certificate:
 * its index in the path (0 = leaf; the anchor, when not in `chain`, gets index chain.length).
 *
 * Not covered: revocation (CRL/OCSP), name constraints and policies (a critical one is refused).
 */
export function validateChain(
  chain: readonly Uint8Array[],
  trustAnchors: readonly Uint8Array[],
  options: ChainValidationOptions,
): ValidatedChain {
  const at = options.at.getTime();
  if (!Number.isFinite(at)) throw new PkiError('invalid-validity', 'the validation time is not a valid date');
  if (chain.length === 0) throw new ChainValidationError('empty-chain', 0, '', 'no certificates to validate');
  const certs = chain.map((der, index) => readAt(der, index));
  const anchors = trustAnchors.map((der, index) => readAt(der, chain.length + index));
  const path = [...certs];
  const last = certs[certs.length - 1]!;
  let anchor = anchors.find((a) => sameBytes(a.der, last.der));
  if (!anchor) {
    if (last.openssl.checkIssued(last.openssl) && last.openssl.verify(last.publicKey)) {
      fail('untrusted-root', certs.length - 1, last, 'self-signed and not a trust anchor');
    }
    // Candidates match by name and, where both sides carry them, by AKI/SKI (OpenSSL's issuer check).
    const candidates = anchors.filter((a) => last.openssl.checkIssued(a.openssl));
    if (candidates.length === 0) fail('untrusted-root', certs.length - 1, last, 'issued by no trust anchor');
    anchor = candidates.find((a) => last.openssl.verify(a.publicKey));
    if (!anchor)
      fail('bad-signature', certs.length - 1, last, 'signature does not verify with the trust anchor key');
    path.push(anchor);
  }

  // From the anchor down, as RFC 5280 path processing runs: a broken certificate is reported itself,
  // not as a name mismatch of the certificate below it.
  for (let index = path.length - 1; index >= 1; index--) {
    checkCa(path[index]!, index);
    const child = path[index - 1]!;
    const issuer = path[index]!;
    if (!child.openssl.checkIssued(issuer.openssl)) {
      fail('issuer-mismatch', index - 1, child, `not issued by the next certificate (${issuer.subject})`);
    }
    // The link to an anchor found by signature above is already verified.
    const verified = issuer === anchor && index === certs.length;
    if (!verified && !child.openssl.verify(issuer.publicKey)) {
      fail('bad-signature', index - 1, child, `signature does not verify with the key of ${issuer.subject}`);
    }
  }

  path.forEach((cert, index) => {
    const unknown = cert.criticalExtensionOids.find((oid) => !UNDERSTOOD_EXTENSIONS.has(oid));
    if (unknown)
      fail('unsupported-critical-extension', index, cert, `critical extension ${unknown} is not supported`);
    if (at < cert.notBefore.getTime())
      fail('not-yet-valid', index, cert, `valid only from ${cert.notBefore.toISOString()}`);
    if (at > cert.notAfter.getTime())
      fail('expired', index, cert, `expired at ${cert.notAfter.toISOString()}`);
  });

  checkLeafUsage(path[0]!, options);
  return { path: path.map((c) => c.der), trustAnchor: anchor.der, leafPublicKey: path[0]!.publicKey };
}

/** An issuing certificate at `index` in the path (index - 1 CAs sit between it and the leaf). */
function checkCa(cert: CertificateFacts, index: number): void {
  if (!cert.basicConstraints?.ca)
    fail('not-a-ca', index, cert, 'issues a certificate but is not a CA (basicConstraints)');
  if (cert.keyUsage !== undefined && (cert.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0) {
    fail('missing-key-cert-sign', index, cert, 'issues a certificate but its keyUsage lacks keyCertSign');
  }
  const limit = cert.basicConstraints.pathLength;
  if (limit !== undefined && index - 1 > limit) {
    fail('path-length-exceeded', index, cert, `allows ${limit} CA(s) below it, the path has ${index - 1}`);
  }
}

function checkLeafUsage(leaf: CertificateFacts, options: ChainValidationOptions): void {
  if (leaf.keyUsage !== undefined) {
    const missing = (options.leafKeyUsage ?? []).filter(
      (name) => (leaf.keyUsage! & x509.KeyUsageFlags[name]) === 0,
    );
    if (missing.length > 0) fail('leaf-key-usage', 0, leaf, `keyUsage lacks ${missing.join(', ')}`);
  }
  const ekus = leaf.extendedKeyUsage;
  if (ekus !== undefined && !ekus.includes(ANY_EXTENDED_KEY_USAGE)) {
    const missing = (options.leafExtendedKeyUsage ?? []).filter((oid) => !ekus.includes(oid));
    if (missing.length > 0)
      fail('leaf-extended-key-usage', 0, leaf, `extendedKeyUsage lacks ${missing.join(', ')}`);
  }
}

function readAt(der: Uint8Array, index: number): CertificateFacts {
  try {
    return readCertificate(der);
  } catch (cause) {
    const message = cause instanceof PkiError ? cause.message : 'unreadable';
    throw new ChainValidationError('malformed-certificate', index, '?', message, { cause });
  }
}

function fail(code: ChainErrorCode, index: number, cert: CertificateFacts, message: string): never {
  throw new ChainValidationError(code, index, cert.subject, message);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
