/**
 * Typed SZTP errors. Everything that reads untrusted input (RESTCONF bodies, CMS blobs, vouchers,
 * certificates) fails with one of these two classes, never with a bare Error or TypeError.
 */

/** RESTCONF / NETCONF error-tag values (RFC 8040 section 7, RFC 6241 appendix A). */
export type RestconfErrorTag =
  | 'in-use'
  | 'invalid-value'
  | 'too-big'
  | 'missing-attribute'
  | 'bad-attribute'
  | 'unknown-attribute'
  | 'missing-element'
  | 'bad-element'
  | 'unknown-element'
  | 'unknown-namespace'
  | 'access-denied'
  | 'lock-denied'
  | 'resource-denied'
  | 'rollback-failed'
  | 'data-exists'
  | 'data-missing'
  | 'operation-not-supported'
  | 'operation-failed'
  | 'partial-operation'
  | 'malformed-message';

/**
 * A YANG payload (JSON or XML) that does not match its schema. `errorTag` and `path` map directly
 * onto an `ietf-restconf:errors` entry; `path` is a module-qualified data path such as
 * `/ietf-sztp-bootstrap-server:input/nonce` (list entries are written `[index]`, 0-based).
 */
export class SztpPayloadError extends Error {
  override readonly name = 'SztpPayloadError';
  constructor(
    readonly errorTag: RestconfErrorTag,
    readonly path: string,
    message: string,
  ) {
    super(`${path || '/'}: ${message}`);
  }
}

/** Why a CMS structure, certificate path or voucher was refused. */
export type SztpVerificationErrorCode =
  /** Not parseable as the expected ASN.1/CMS structure. */
  | 'malformed-cms'
  /** ContentInfo or eContentType is not one this artifact allows. */
  | 'unexpected-content-type'
  /** SignedData has no SignerInfo, or more than one where exactly one is required. */
  | 'signer-count'
  /** No certificate matches the SignerInfo's signer identifier. */
  | 'signer-not-found'
  /** Signature, message digest or signed content-type attribute do not match. */
  | 'bad-signature'
  /** A digest or signature algorithm outside the supported set. */
  | 'unsupported-algorithm'
  /** A certificate could not be parsed. */
  | 'malformed-certificate'
  /** No path from the certificate to the required trust anchor / pinned certificate. */
  | 'untrusted'
  /** A certificate on the path is outside its validity period at the given time. */
  | 'certificate-expired'
  /** A certificate is used for something its extensions forbid (CA flag, key usage). */
  | 'certificate-usage'
  /** The voucher JSON is invalid (details in `cause`, a SztpPayloadError). */
  | 'malformed-voucher'
  /** Voucher serial-number differs from the device's. */
  | 'serial-number-mismatch'
  /** Voucher idevid-issuer differs from the device's IDevID authority key identifier. */
  | 'idevid-issuer-mismatch'
  /** Voucher nonce missing or different from the one the device sent. */
  | 'nonce-mismatch'
  /** Voucher expires-on is in the past, or created-on in the future. */
  | 'voucher-expired'
  /** Voucher has no pinned-domain-cert where one is required. */
  | 'pinned-domain-cert-missing'
  /** Unsigned data was offered where signed data is required, or vice versa. */
  | 'signature-required'
  /** A value we were asked to encode breaks the schema (caller error, caught before emission). */
  | 'invalid-input';

export class SztpVerificationError extends Error {
  override readonly name = 'SztpVerificationError';
  constructor(
    readonly code: SztpVerificationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
