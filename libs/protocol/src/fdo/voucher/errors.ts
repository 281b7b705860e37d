/** Why a voucher was refused. `entry` names the OVEntry index when one entry is at fault. */
export type VoucherErrorCode =
  /** An FDO 1.0 voucher (4-element array with inline header, or protocol version 100). */
  | 'fdo-1.0'
  /** A protocol version other than 101. */
  | 'unsupported-version'
  /** Not a well-formed voucher: bad CBOR, wrong shapes, bad PEM, undecodable keys. */
  | 'malformed'
  | 'bad-hmac'
  | 'bad-cert-chain-hash'
  | 'untrusted-device-chain'
  | 'bad-entry-signature'
  | 'bad-prev-hash'
  | 'bad-hdr-info-hash'
  /** An entry hash uses another algorithm than entry 0's previous-entry hash. */
  | 'hash-alg-mismatch'
  /** A key of another type, curve or size than the manufacturer key. */
  | 'key-type-mismatch'
  /** The signer given for extension is not the voucher's current owner. */
  | 'not-owner';

export class VoucherError extends Error {
  override readonly name = 'VoucherError';
  readonly entry: number | undefined;

  constructor(
    readonly code: VoucherErrorCode,
    message: string,
    options: { entry?: number; cause?: unknown } = {},
  ) {
    super(options.entry === undefined ? message : `entry ${options.entry}: ${message}`, {
      cause: options.cause,
    });
    this.entry = options.entry;
  }
}
