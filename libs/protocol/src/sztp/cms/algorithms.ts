import { type KeyObject } from 'node:crypto';
import { SztpVerificationError } from '../errors';
import { Oid } from '../oids';
import { Asn1Reader, type Asn1 } from './asn1';
import { der } from './der';

/** Digest and signature algorithms CMS SignedData is produced and verified with here. */
export type DigestName = 'sha256' | 'sha384' | 'sha512';

export type CmsSignatureAlgorithm =
  | 'ecdsa-sha256'
  | 'ecdsa-sha384'
  | 'ecdsa-sha512'
  | 'rsa-pkcs1-sha256'
  | 'rsa-pkcs1-sha384'
  | 'rsa-pkcs1-sha512'
  | 'rsa-pss-sha256'
  | 'rsa-pss-sha384'
  | 'rsa-pss-sha512'
  | 'ed25519';

const DIGEST_OID: Record<DigestName, string> = { sha256: Oid.sha256, sha384: Oid.sha384, sha512: Oid.sha512 };
const DIGEST_LENGTH: Record<DigestName, number> = { sha256: 32, sha384: 48, sha512: 64 };

export function digestOid(name: DigestName): string {
  return DIGEST_OID[name];
}

export function digestNameForOid(oid: string): DigestName | undefined {
  return (Object.keys(DIGEST_OID) as DigestName[]).find((name) => DIGEST_OID[name] === oid);
}

export function digestLength(name: DigestName): number {
  return DIGEST_LENGTH[name];
}

/** The digest used for the messageDigest attribute (SHA-512 for Ed25519, RFC 8419). */
export function digestForSignature(algorithm: CmsSignatureAlgorithm): DigestName {
  if (algorithm === 'ed25519') return 'sha512';
  return algorithm.slice(algorithm.lastIndexOf('-') + 1) as DigestName;
}

function pssParameters(digest: DigestName): Uint8Array {
  const hash = der.algorithmIdentifier(DIGEST_OID[digest]);
  return der.sequence(
    der.explicit(0, hash),
    der.explicit(1, der.algorithmIdentifier(Oid.mgf1, hash)),
    der.explicit(2, der.integer(DIGEST_LENGTH[digest])),
  );
}

/** DER AlgorithmIdentifier for SignerInfo.signatureAlgorithm. */
export function signatureAlgorithmIdentifier(algorithm: CmsSignatureAlgorithm): Uint8Array {
  const digest = digestForSignature(algorithm);
  if (algorithm === 'ed25519') return der.algorithmIdentifier(Oid.ed25519);
  if (algorithm.startsWith('ecdsa-')) {
    const oid = { sha256: Oid.ecdsaWithSha256, sha384: Oid.ecdsaWithSha384, sha512: Oid.ecdsaWithSha512 }[
      digest
    ];
    return der.algorithmIdentifier(oid);
  }
  if (algorithm.startsWith('rsa-pss-')) return der.algorithmIdentifier(Oid.rsassaPss, pssParameters(digest));
  const oid = { sha256: Oid.sha256WithRsa, sha384: Oid.sha384WithRsa, sha512: Oid.sha512WithRsa }[digest];
  return der.algorithmIdentifier(oid, der.null());
}

/** A sensible default for a key: ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256, Ed25519. */
export function defaultSignatureAlgorithm(key: KeyObject): CmsSignatureAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return 'ecdsa-sha384';
      if (curve === 'secp521r1') return 'ecdsa-sha512';
      return 'ecdsa-sha256';
    }
    case 'rsa':
      return 'rsa-pkcs1-sha256';
    case 'rsa-pss':
      return 'rsa-pss-sha256';
    case 'ed25519':
      return 'ed25519';
    default:
      throw new SztpVerificationError(
        'unsupported-algorithm',
        `no CMS signature algorithm for ${key.asymmetricKeyType} keys`,
      );
  }
}

/** How node:crypto.verify must be called for a received SignerInfo. */
export interface VerifyParameters {
  readonly hash: DigestName | null;
  readonly padding?: 'pkcs1' | 'pss';
  readonly saltLength?: number;
}

function unsupported(what: string): never {
  throw new SztpVerificationError('unsupported-algorithm', `unsupported ${what}`);
}

const reader = new Asn1Reader('unsupported-algorithm');

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmIdentifier(node: Asn1 | undefined, what: string): { oid: string; parameters?: Asn1 } {
  const [oid, parameters, ...rest] = reader.sequence(node, what);
  if (rest.length > 0) reader.fail(what);
  return { oid: reader.oid(oid, what), ...(parameters ? { parameters } : {}) };
}

/**
 * RSASSA-PSS-params (RFC 4055 3.1): [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength,
 * [3] trailerField, each EXPLICIT, optional, in this order. Read strictly: a signature is only
 * accepted under parameters that say exactly how it was made.
 */
function pssFromParameters(node: Asn1 | undefined): VerifyParameters {
  // RSASSA-PSS-params defaults are SHA-1 / MGF1-SHA-1 / salt 20: refused (no SHA-1).
  if (!reader.isSequence(node)) return unsupported('RSASSA-PSS parameters (SHA-1 defaults)');
  let hash: DigestName | undefined;
  let mgfHash: DigestName | undefined;
  let saltLength = 20;
  let previous = -1;
  for (const field of node.children) {
    const tag = reader.contextTag(field);
    if (tag === undefined || tag > 3 || tag <= previous) return unsupported('RSASSA-PSS parameters');
    previous = tag;
    const [inner, ...rest] = reader.tagged(field, tag, 'RSASSA-PSS parameters');
    if (rest.length > 0) reader.fail('RSASSA-PSS parameters');
    if (tag === 0) {
      hash = digestNameForOid(algorithmIdentifier(inner, 'PSS hashAlgorithm').oid);
    } else if (tag === 1) {
      const mgf = algorithmIdentifier(inner, 'PSS maskGenAlgorithm');
      if (mgf.oid !== Oid.mgf1) unsupported('PSS mask generation');
      mgfHash = digestNameForOid(algorithmIdentifier(mgf.parameters, 'MGF1 hash').oid);
    } else if (tag === 2) {
      saltLength = reader.smallInteger(inner, 'PSS saltLength');
    } else if (reader.smallInteger(inner, 'PSS trailerField') !== 1) {
      unsupported('PSS trailerField');
    }
  }
  if (hash === undefined || mgfHash !== hash) return unsupported('RSASSA-PSS hash / MGF1 combination');
  return { hash, padding: 'pss', saltLength };
}

/** Maps SignerInfo (digestAlgorithm, signatureAlgorithm) to verification parameters. */
export function verifyParameters(
  digest: DigestName,
  signatureOid: string,
  parameters: Asn1 | undefined,
): VerifyParameters {
  switch (signatureOid) {
    case Oid.ecdsaWithSha256:
      return { hash: 'sha256' };
    case Oid.ecdsaWithSha384:
      return { hash: 'sha384' };
    case Oid.ecdsaWithSha512:
      return { hash: 'sha512' };
    // id-ecPublicKey names a key, not a signature algorithm: RFC 5754 3.3 and RFC 5753 2.1.1 put
    // ecdsa-with-SHA* here, and pkijs refuses it (seen in the differential test against pkijs).
    case Oid.rsaEncryption:
      return { hash: digest, padding: 'pkcs1' };
    case Oid.sha256WithRsa:
      return { hash: 'sha256', padding: 'pkcs1' };
    case Oid.sha384WithRsa:
      return { hash: 'sha384', padding: 'pkcs1' };
    case Oid.sha512WithRsa:
      return { hash: 'sha512', padding: 'pkcs1' };
    case Oid.rsassaPss:
      return pssFromParameters(parameters);
    case Oid.ed25519:
      return { hash: null };
    default:
      return unsupported(`signature algorithm ${signatureOid}`);
  }
}
