import { type KeyCustody } from '../custody/key-custody';
import { type ParsedCsr } from '../csr/parse-csr';
import { PkiError } from '../errors';
import { type CertificateFacts, readCertificate } from '../x509/certificate-facts';
import { type DistinguishedName, toGeneralNames, toX509Name } from '../x509/names';
import { nodeWebCrypto, x509 } from '../x509/runtime';
import { type RandomBytes, randomSerialNumber } from '../x509/serial-number';
import { signerCrypto } from '../x509/signer-crypto';
import { ExtendedKeyUsageOid, type LeafProfile, resolveProfile } from './profiles';

const EXTENDED_KEY_USAGE_OID = '2.5.29.37';
const SUBJECT_ALT_NAME_OID = '2.5.29.17';

/** A CA this service can issue under: its certificate and the custody id of its private key. */
export interface IssuingCa {
  readonly keyId: string;
  /** DER. */
  readonly certificate: Uint8Array;
}

export interface CaCertificateParams {
  /** Custody id of the CA's key; the key must already be in custody. */
  readonly keyId: string;
  readonly subject: DistinguishedName;
  readonly validityDays: number;
  /**
   * basicConstraints pathLenConstraint: how many CAs may sit below this one. Roots default to no
   * limit, intermediates to 0 (they issue only end-entity certificates).
   */
  readonly pathLength?: number;
}

/** Where relying parties check a leaf's status: its CRL distribution point and AIA OCSP URL. */
export interface RevocationPointers {
  readonly crlUrl?: string;
  readonly ocspUrl?: string;
}

export interface CertificateIssuerDeps {
  readonly custody: KeyCustody;
  readonly now: () => Date;
  readonly randomBytes: RandomBytes;
}

/** Backdating of notBefore, so a device whose clock runs a little behind accepts a fresh certificate. */
export const NOT_BEFORE_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/**
 * Creates CA certificates and issues leaf certificates. Every signature is made by the issuer's key
 * inside KeyCustody: the certificate generator gets a WebCrypto stand-in whose sign() calls the
 * custody Signer (x509/signer-crypto.ts), so no private key is exported or turned into a CryptoKey.
 */
export class CertificateIssuer {
  /**
   * Issuers checked before, by certificate bytes and key id: a CA issues many certificates, and
   * parsing it and asking custody for its public key each time cost more than the signature.
   */
  private readonly checkedIssuers = new Map<Uint8Array, { keyId: string; facts: CertificateFacts }>();

  constructor(private readonly deps: CertificateIssuerDeps) {}

  private issuerFacts(issuer: IssuingCa): CertificateFacts {
    const known = this.checkedIssuers.get(issuer.certificate);
    return known?.keyId === issuer.keyId ? known.facts : readCertificate(issuer.certificate);
  }

  /** Self-signed root: basicConstraints CA critical, keyUsage keyCertSign|cRLSign critical, SKI. */
  async createRootCa(params: CaCertificateParams): Promise<IssuingCa> {
    const publicKeySpki = (await this.deps.custody.describeKey(params.keyId)).publicKeySpki;
    const name = toX509Name(params.subject);
    const { notBefore, notAfter } = this.validity(params.validityDays);
    const certificate = await this.sign(params.keyId, {
      subject: name,
      issuer: name,
      publicKeySpki,
      notBefore,
      notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(true, checkPathLength(params.pathLength), true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await subjectKeyIdentifier(publicKeySpki),
      ],
    });
    return { keyId: params.keyId, certificate };
  }

  /** A CA certificate for `params.keyId` signed by `issuer`; adds AuthorityKeyIdentifier. */
  async createIntermediateCa(issuer: IssuingCa, params: CaCertificateParams): Promise<IssuingCa> {
    const issuerFacts = await this.checkIssuer(issuer);
    const pathLength = checkPathLength(params.pathLength ?? 0)!;
    const issuerLimit = issuerFacts.basicConstraints?.pathLength;
    if (issuerLimit !== undefined && pathLength > issuerLimit - 1) {
      throw new PkiError(
        'issuer-path-length-exhausted',
        `issuer ${issuerFacts.subject} allows ${issuerLimit} CA(s) below it; cannot add one with pathLength ${pathLength}`,
      );
    }
    const publicKeySpki = (await this.deps.custody.describeKey(params.keyId)).publicKeySpki;
    const certificate = await this.sign(issuer.keyId, {
      subject: toX509Name(params.subject),
      issuer: issuerFacts.parsed.subjectName,
      publicKeySpki,
      ...this.validityUnder(params.validityDays, issuerFacts),
      extensions: [
        new x509.BasicConstraintsExtension(true, pathLength, true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await subjectKeyIdentifier(publicKeySpki),
        await authorityKeyIdentifier(issuerFacts),
      ],
    });
    return { keyId: params.keyId, certificate };
  }

  /**
   * An end-entity certificate (DER) for the key in `csr`, with subject, SANs and usages decided by
   * `profile`. notAfter is capped at the issuer's notAfter.
   */
  async issueFromCsr(
    issuer: IssuingCa,
    csr: ParsedCsr,
    profile: LeafProfile,
    revocation?: RevocationPointers,
  ): Promise<Uint8Array> {
    const issuerFacts = await this.checkIssuer(issuer);
    const resolved = resolveProfile(profile, csr);
    const subject = toX509Name(resolved.subject);
    const generalNames = toGeneralNames(resolved.subjectAltNames);
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ];
    if (resolved.extendedKeyUsages.length > 0) {
      extensions.push(new x509.ExtendedKeyUsageExtension([...resolved.extendedKeyUsages], false));
    }
    if (generalNames.length > 0)
      extensions.push(new x509.SubjectAlternativeNameExtension(generalNames, false));
    extensions.push(await subjectKeyIdentifier(csr.publicKeySpki), await authorityKeyIdentifier(issuerFacts));
    if (revocation?.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([revocation.crlUrl]));
    if (revocation?.ocspUrl)
      extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [revocation.ocspUrl] }));
    return this.sign(issuer.keyId, {
      subject,
      issuer: issuerFacts.parsed.subjectName,
      publicKeySpki: csr.publicKeySpki,
      ...this.validityUnder(resolved.validityDays, issuerFacts),
      extensions,
    });
  }

  /**
   * A renewal of `previous` (DER, issued by `issuer`) for the new key in `csr`: the subject and the
   * subjectAltName and extendedKeyUsage extensions are copied from `previous` byte for byte, whatever
   * the request asks for (EST re-enrolment keeps the identity, RFC 7030 4.2.2); the validity starts now.
   */
  async renewFromCsr(
    issuer: IssuingCa,
    previous: Uint8Array,
    csr: ParsedCsr,
    validityDays: number,
    revocation?: RevocationPointers,
  ): Promise<Uint8Array> {
    const issuerFacts = await this.checkIssuer(issuer);
    let old: x509.X509Certificate;
    try {
      old = new x509.X509Certificate(previous);
    } catch (cause) {
      throw new PkiError('malformed-certificate', 'the certificate to renew does not parse', { cause });
    }
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ];
    const eku = old.getExtension(EXTENDED_KEY_USAGE_OID);
    extensions.push(eku ?? new x509.ExtendedKeyUsageExtension([ExtendedKeyUsageOid.clientAuth], false));
    const san = old.getExtension(SUBJECT_ALT_NAME_OID);
    if (san) extensions.push(san);
    extensions.push(await subjectKeyIdentifier(csr.publicKeySpki), await authorityKeyIdentifier(issuerFacts));
    if (revocation?.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([revocation.crlUrl]));
    if (revocation?.ocspUrl)
      extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [revocation.ocspUrl] }));
    return this.sign(issuer.keyId, {
      subject: old.subjectName,
      issuer: issuerFacts.parsed.subjectName,
      publicKeySpki: csr.publicKeySpki,
      ...this.validityUnder(validityDays, issuerFacts),
      extensions,
    });
  }

  /** The issuer must be a CA allowed to sign certificates, valid now, whose key custody holds. */
  private async checkIssuer(issuer: IssuingCa): Promise<CertificateFacts> {
    const facts = this.issuerFacts(issuer);
    if (!facts.basicConstraints?.ca) {
      throw new PkiError('issuer-not-ca', `${facts.subject} is not a CA certificate`);
    }
    if (facts.keyUsage !== undefined && (facts.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw new PkiError('issuer-not-ca', `${facts.subject} may not sign certificates (no keyCertSign)`);
    }
    const now = this.deps.now().getTime();
    if (now < facts.notBefore.getTime() || now > facts.notAfter.getTime()) {
      throw new PkiError(
        'issuer-not-valid',
        `${facts.subject} is not valid at ${new Date(now).toISOString()}`,
      );
    }
    if (this.checkedIssuers.get(issuer.certificate)?.keyId === issuer.keyId) return facts;
    const custodySpki = (await this.deps.custody.describeKey(issuer.keyId)).publicKeySpki;
    if (!Buffer.from(custodySpki).equals(facts.publicKey.export({ type: 'spki', format: 'der' }))) {
      throw new PkiError(
        'issuer-key-mismatch',
        `custody key ${issuer.keyId} is not the key of ${facts.subject}`,
      );
    }
    // Keyed by the array itself: callers keep their CA's bytes (the owner CA cache), and a small
    // bound keeps callers that do not from growing it.
    if (this.checkedIssuers.size >= 64) this.checkedIssuers.clear();
    this.checkedIssuers.set(issuer.certificate, { keyId: issuer.keyId, facts });
    return facts;
  }

  private validity(validityDays: number): { notBefore: Date; notAfter: Date } {
    if (!Number.isFinite(validityDays) || validityDays <= 0 || validityDays > 100 * 366) {
      throw new PkiError('invalid-validity', `validity of ${validityDays} days is out of range`);
    }
    const now = this.deps.now().getTime();
    if (!Number.isFinite(now)) throw new PkiError('invalid-validity', 'the clock returned an invalid date');
    return { notBefore: new Date(now - NOT_BEFORE_SKEW_MS), notAfter: new Date(now + validityDays * DAY_MS) };
  }

  private validityUnder(validityDays: number, issuer: CertificateFacts): { notBefore: Date; notAfter: Date } {
    const { notBefore, notAfter } = this.validity(validityDays);
    return {
      notBefore: new Date(Math.max(notBefore.getTime(), issuer.notBefore.getTime())),
      notAfter: new Date(Math.min(notAfter.getTime(), issuer.notAfter.getTime())),
    };
  }

  private async sign(
    issuerKeyId: string,
    fields: {
      subject: x509.Name;
      issuer: x509.Name;
      publicKeySpki: Uint8Array;
      notBefore: Date;
      notAfter: Date;
      extensions: x509.Extension[];
    },
  ): Promise<Uint8Array> {
    const { crypto, keys } = signerCrypto(await this.deps.custody.signer(issuerKeyId));
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: randomSerialNumber(this.deps.randomBytes),
        subject: fields.subject,
        issuer: fields.issuer,
        notBefore: fields.notBefore,
        notAfter: fields.notAfter,
        publicKey: fields.publicKeySpki,
        signingKey: keys.privateKey,
        extensions: fields.extensions,
      },
      crypto,
    );
    return new Uint8Array(certificate.rawData);
  }
}

function checkPathLength(pathLength: number | undefined): number | undefined {
  if (pathLength !== undefined && (!Number.isInteger(pathLength) || pathLength < 0 || pathLength > 16)) {
    throw new PkiError('invalid-profile', `pathLength must be an integer 0..16, got ${pathLength}`);
  }
  return pathLength;
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 over the subjectPublicKey bits. */
async function subjectKeyIdentifier(spki: Uint8Array): Promise<x509.SubjectKeyIdentifierExtension> {
  return x509.SubjectKeyIdentifierExtension.create(spki, false, nodeWebCrypto);
}

async function authorityKeyIdentifier(
  issuer: CertificateFacts,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  if (issuer.subjectKeyIdentifier)
    return new x509.AuthorityKeyIdentifierExtension(issuer.subjectKeyIdentifier);
  const spki = issuer.publicKey.export({ type: 'spki', format: 'der' });
  return x509.AuthorityKeyIdentifierExtension.create(spki, false, nodeWebCrypto);
}
