import { createPublicKey } from 'node:crypto';
import {
  type ManufacturerKeyEncoding,
  type ManufacturerPkiEntity,
  type OwnerKeyEntity,
} from '@ztp/persistence';
import { derToPem } from '@ztp/pki';

/** What the API shows of a manufacturer's PKI: certificates and public keys, never a private key. */
export interface ManufacturerPkiView {
  tenantId: string;
  /** PEM. Devices' certificate chains end here: the trust anchor for their attestation. */
  rootCaCertificate: string;
  /** PEM. Signs the device certificates during DI. */
  intermediateCaCertificate: string;
  voucherKey: {
    /** owner_key id. */
    id: string;
    spec: string;
    publicKey: string;
    publicKeySha256: string;
  };
  manufacturerKeyEncoding: ManufacturerKeyEncoding;
  deviceCertValidityDays: number;
  createdAt: string;
}

export function manufacturerPkiView(
  pki: ManufacturerPkiEntity,
  voucherKey: OwnerKeyEntity,
): ManufacturerPkiView {
  const publicKey = createPublicKey({ key: voucherKey.publicKeySpki, format: 'der', type: 'spki' });
  return {
    tenantId: pki.tenantId,
    rootCaCertificate: derToPem(pki.rootCaCertificate, 'CERTIFICATE'),
    intermediateCaCertificate: derToPem(pki.intermediateCaCertificate, 'CERTIFICATE'),
    voucherKey: {
      id: voucherKey.id,
      spec: voucherKey.spec,
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      publicKeySha256: voucherKey.publicKeySha256,
    },
    manufacturerKeyEncoding: pki.manufacturerKeyEncoding,
    deviceCertValidityDays: pki.deviceCertValidityDays,
    createdAt: pki.createdAt.toISOString(),
  };
}
