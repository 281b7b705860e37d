import { createHash } from 'node:crypto';
import {
  type SztpDeviceEntity,
  type SztpDeviceTypeEntity,
  type SztpMasaEntity,
  type SztpOnboardingProfileEntity,
  type SztpOwnerEntity,
  type SztpProgressEventEntity,
  type SztpVoucherEntity,
} from '@ztp/persistence';
import { derToPem } from '@ztp/pki';
import { sztp } from '@ztp/protocol';

const pem = (der: Uint8Array) => derToPem(der);
const pemFromB64 = (b64: string) => derToPem(Buffer.from(b64, 'base64'));
const iso = (date: Date | null) => date?.toISOString() ?? null;

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function deviceTypeView(row: SztpDeviceTypeEntity) {
  return {
    id: row.id,
    name: row.name,
    trustAnchors: row.trustAnchors.map(pemFromB64),
    serialNumber: { source: row.serialNumberSource, pattern: row.serialNumberPattern },
    outputProfile: row.outputProfile,
    activationCodeFallback: row.activationCodeFallback,
    createdAt: row.createdAt.toISOString(),
  };
}

export function masaView(row: SztpMasaEntity) {
  return {
    id: row.id,
    name: row.name,
    /** The MASA signing certificate. */
    certificate: pem(row.certificate),
    chain: row.chain.map(pemFromB64),
    /** What devices (and voucher imports) trust: these anchors, or the certificate itself when empty. */
    trustAnchors: row.trustAnchors.map(pemFromB64),
    issuesVouchers: row.custodyKeyId !== null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function ownerView(row: SztpOwnerEntity) {
  return {
    tenantId: row.tenantId,
    /** The owner CA: vouchers pin it as pinned-domain-cert; it also issues LDevIDs. */
    pinnedDomainCertificate: pem(row.caCertificate),
    /** The owner certificate that signs conveyed information (issued by the owner CA). */
    ownerCertificate: pem(row.signingCertificate),
    bootstrapServers: row.bootstrapServers.map((server) => ({
      address: server.address,
      port: server.port ?? 443,
      trustAnchors: (server.trustAnchors ?? []).map(pemFromB64),
    })),
    ldevidValidityDays: row.ldevidValidityDays,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function profileView(row: SztpOnboardingProfileEntity) {
  const b64 = (bytes: Buffer | null) => (bytes === null ? null : bytes.toString('base64'));
  return {
    id: row.id,
    name: row.name,
    isDefault: row.isDefault,
    bootImage: row.bootImage,
    preConfigurationScript: b64(row.preConfigurationScript),
    configuration: b64(row.configuration),
    configurationHandling: row.configurationHandling,
    postConfigurationScript: b64(row.postConfigurationScript),
    issueLdevid: row.issueLdevid,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function deviceView(row: SztpDeviceEntity) {
  return {
    id: row.id,
    deviceTypeId: row.deviceTypeId,
    serialNumber: row.serialNumber,
    hasActivationCode: row.activationCodeHash !== null,
    onboardingProfileId: row.onboardingProfileId,
    bootstrapState: row.bootstrapState,
    lastProgressType: row.lastProgressType,
    lastProgressAt: iso(row.lastProgressAt),
    sshHostKeys: row.sshHostKeys,
    trustAnchorCerts: row.trustAnchorCerts,
    onboardedAt: iso(row.onboardedAt),
    createdAt: row.createdAt.toISOString(),
  };
}

export function progressEventView(row: SztpProgressEventEntity) {
  return {
    id: row.id,
    progressType: row.progressType,
    message: row.message,
    server: row.server,
    sshHostKeys: row.sshHostKeys,
    trustAnchorCerts: row.trustAnchorCerts,
    remoteAddress: row.remoteAddress,
    receivedAt: row.receivedAt.toISOString(),
  };
}

export function voucherView(row: SztpVoucherEntity) {
  return {
    id: row.id,
    deviceId: row.deviceId,
    serialNumber: row.serialNumber,
    masaId: row.masaId,
    holderTenantId: row.holderTenantId,
    contentType: row.contentType === sztp.Oid.data ? ('id-data' as const) : ('anima-json' as const),
    assertion: row.assertion,
    expiresOn: iso(row.expiresOn),
    pinnedDomainCertSha256: row.pinnedDomainCertSha256,
    /** Whether the holder's owner certificate chains to pinned-domain-cert (else devices refuse its data). */
    pinsHolder: row.pinsHolder,
    source: row.source,
    status: row.status,
    replacesVoucherId: row.replacesVoucherId,
    createdAt: row.createdAt.toISOString(),
    /** The voucher itself: DER CMS (application/voucher-cms+json), base64. */
    cms: row.cms.toString('base64'),
  };
}
