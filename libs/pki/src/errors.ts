/** Why a PKI operation refused its input. Callers switch on `code`; the message is for logs. */
export type PkiErrorCode =
  | 'malformed-pem'
  | 'malformed-csr'
  | 'malformed-est-body'
  | 'bad-csr-signature'
  | 'unsupported-key-type'
  | 'unsupported-signature-algorithm'
  | 'malformed-certificate'
  | 'invalid-name'
  | 'invalid-validity'
  | 'invalid-profile'
  | 'issuer-key-mismatch'
  | 'issuer-not-ca'
  | 'issuer-not-valid'
  | 'issuer-path-length-exhausted';

export class PkiError<Code extends string = PkiErrorCode> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why a certificate chain was refused. */
export type ChainErrorCode =
  | 'empty-chain'
  | 'malformed-certificate'
  | 'not-yet-valid'
  | 'expired'
  | 'issuer-mismatch'
  | 'bad-signature'
  | 'not-a-ca'
  | 'missing-key-cert-sign'
  | 'path-length-exceeded'
  | 'unsupported-critical-extension'
  | 'untrusted-root'
  | 'leaf-key-usage'
  | 'leaf-extended-key-usage';

/** A chain refusal, naming the certificate that failed (index 0 = leaf; anchors count on from the chain). */
export class ChainValidationError extends PkiError<ChainErrorCode> {
  constructor(
    code: ChainErrorCode,
    readonly certificateIndex: number,
    readonly certificateSubject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `certificate ${certificateIndex} (${certificateSubject}): ${message}`, options);
  }
}

/** Why key custody refused an operation. */
export type KeyCustodyErrorCode =
  | 'invalid-key-id'
  | 'invalid-purpose'
  | 'key-exists'
  | 'key-not-found'
  | 'unsupported-key-type'
  | 'unsupported-algorithm'
  | 'invalid-master-key'
  | 'unknown-master-key-version'
  | 'master-key-mismatch'
  | 'master-key-in-use'
  | 'sealed-record-corrupt'
  | 'decrypt-failed'
  | 'token-error'
  | 'token-timeout';

export class KeyCustodyError extends PkiError<KeyCustodyErrorCode> {}
