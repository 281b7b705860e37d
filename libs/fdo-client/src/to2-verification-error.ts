/** What a device found wrong with its owner during TO2 (it stops and keeps its credential). */
export type To2VerificationFailure =
  | 'hello-device-hash'
  | 'owner-signature'
  | 'nonce'
  | 'header-hmac'
  | 'guid'
  | 'manufacturer-key'
  | 'voucher-entries'
  | 'owner-key'
  | 'to1d-signature'
  | 'setup-signature'
  | 'service-info'
  | 'round-limit';

export class To2VerificationError extends Error {
  override readonly name = 'To2VerificationError';
  constructor(
    readonly failure: To2VerificationFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
