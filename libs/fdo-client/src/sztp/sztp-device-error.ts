import { type sztp } from '@ztp/protocol';

/** Why a device gave up bootstrapping from its servers. */
export type SztpDeviceErrorCode =
  /** No server could be reached, or TLS verification of a trusted server failed. */
  | 'transport'
  /** A server answered with a RESTCONF error (see `restconfError`). */
  | 'refused'
  /** The answer could not be parsed (a malformed body, an unexpected status or media type). */
  | 'malformed-answer'
  /** Signature, voucher, owner certificate, serial number, nonce or expiry checks failed. */
  | 'verification'
  /** The boot image could not be downloaded or did not match its hash. */
  | 'boot-image'
  /** The LDevID delivered is missing or is not for the key the device generated. */
  | 'ldevid'
  /** Applying (installing, running, writing) a part of the onboarding information failed. */
  | 'apply'
  /** Redirects went on for longer than allowed. */
  | 'too-many-redirects';

export class SztpDeviceError extends Error {
  override readonly name = 'SztpDeviceError';
  constructor(
    readonly code: SztpDeviceErrorCode,
    message: string,
    readonly details: { readonly restconfError?: sztp.RestconfError; readonly server?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
