import { createPublicKey, type KeyObject } from 'node:crypto';
import { type EntityManager, IsNull } from 'typeorm';
import { type ManufacturerKeyEncoding, type ManufacturerPkiEntity, OwnerKeyEntity } from '@ztp/persistence';
import { keySpecOf } from '@ztp/pki';
import { encodePublicKey, type FdoPublicKey, PkEnc } from '@ztp/protocol';

/**
 * The manufacturer's voucher-signing key for a device: a key of the device key's type and size, so
 * the voucher's owners (every key along a voucher has the manufacturer key's type) can use key
 * exchanges and signatures that fit the device too (go-fdo's devices insist on that: ECDH384 needs
 * a P-384 owner, ASYMKEX an RSA owner). The PKI's voucher key when it fits, else the manufacturer
 * tenant's oldest active owner key of that type; when it has none, the PKI's voucher key.
 */
export async function voucherKeyForDevice(
  manager: EntityManager,
  pki: ManufacturerPkiEntity,
  deviceKey: KeyObject,
): Promise<OwnerKeyEntity> {
  const keys = manager.getRepository(OwnerKeyEntity);
  const configured = await keys.findOneByOrFail({ id: pki.voucherKeyId });
  const spec = keySpecOf(deviceKey);
  if (!spec || (configured.spec === spec && !configured.retiredAt)) return configured;
  const fitting = await keys.findOne({
    where: { tenantId: pki.tenantId, spec, retiredAt: IsNull() },
    order: { createdAt: 'ASC', id: 'ASC' },
  });
  return fitting ?? configured;
}

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
