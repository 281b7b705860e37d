import { createPublicKey } from 'node:crypto';
import { type ManufacturerKeyEncoding, type OwnerKeyEntity } from '@ztp/persistence';
import { encodePublicKey, type FdoPublicKey, PkEnc } from '@ztp/protocol';

/**
 * The manufacturer key as it goes into an OVHeader: the voucher-signing key's public half, in the
 * encoding the manufacturer configured (`as-requested` honours a device asking for X509 or
 * COSEKEY; X5CHAIN needs a certificate for the key, which a voucher key does not have, so such a
 * request gets X509). RSA keys are RSAPKCS, the type go-fdo and PRI owners use.
 */
export function manufacturerPublicKey(
  voucherKey: OwnerKeyEntity,
  configured: ManufacturerKeyEncoding,
  requestedEncoding: number,
): FdoPublicKey {
  const key = createPublicKey({ key: voucherKey.publicKeySpki, format: 'der', type: 'spki' });
  const encoding =
    configured === 'cose-key' || (configured === 'as-requested' && requestedEncoding === PkEnc.COSEKEY)
      ? PkEnc.COSEKEY
      : PkEnc.X509;
  return encodePublicKey(key, { encoding });
}
