import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  CertificateRevocations,
  EstEnrollmentTokenEntity,
  IssuedCertificateEntity,
  normalizeSerial,
  revocationEventData,
  type RevokedCertificate,
} from '@ztp/persistence';
import { type RevocationReason } from '@ztp/pki';
import { CLOCK, type Clock, isUuid } from '@ztp/platform';
import { LedgerAudit } from '../audit/ledger-audit';
import { WebhookEvents } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { OwnerTenants } from '../configuration/owner-tenants';
import { certificateProblem } from './certificate-problems';

export interface RevokedCertificateView {
  certificateId: string;
  serialNumber: string;
  fingerprint: string;
  deviceId: string;
  guid: string;
  reason: RevocationReason;
  revokedAt: string;
}

const view = (certificate: RevokedCertificate): RevokedCertificateView => ({
  certificateId: certificate.certificateId,
  serialNumber: certificate.serialNumber,
  fingerprint: certificate.fingerprint,
  deviceId: certificate.deviceId,
  guid: certificate.guid,
  reason: certificate.reason,
  revokedAt: certificate.revokedAt.toISOString(),
});

export interface EnrollmentTokenView {
  id: string;
  deviceId: string;
  /** Shown once. */
  token: string;
  expiresAt: string;
}

/** Serial numbers as people paste them: hex, optionally with colons, at most 20 octets (RFC 5280 4.1.2.2). */
export function parseSerial(serial: string): string | undefined {
  const hex = serial.replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(hex)) return undefined;
  return normalizeSerial(hex.length % 2 === 1 ? `0${hex}` : hex);
}

/**
 * An owner revokes operational certificates its CA issued, by serial or every one of a device.
 * The revocation, its audit events and the `certificate.revoked` webhooks commit together; the
 * CRL is re-signed on its next fetch and OCSP answers revoked at once.
 */
@Injectable()
export class CertificatesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    private readonly revocations: CertificateRevocations,
    private readonly webhooks: WebhookEvents,
    private readonly audit: LedgerAudit,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * A one-time token for the device's first EST enrolment (simpleenroll); the secret is in this
   * answer only, its SHA-256 is stored.
   */
  async createEnrollmentToken(
    tenantId: string,
    reference: string,
    expiresInSeconds: number,
    actor: string,
  ): Promise<EnrollmentTokenView> {
    await this.owners.require(tenantId);
    const deviceId = await this.deviceOf(tenantId, reference);
    const token = `est_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(this.clock.now().getTime() + expiresInSeconds * 1000);
    const row = await this.dataSource.transaction(async (manager) => {
      const saved = await manager.getRepository(EstEnrollmentTokenEntity).save({
        ownerTenantId: tenantId,
        deviceId,
        tokenSha256: createHash('sha256').update(token).digest('hex'),
        expiresAt,
        createdBy: actor,
      });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'certificate.enrollment-token-created',
        subject: `device:${deviceId}`,
        actor,
        data: { tokenId: saved.id, deviceId, expiresAt: expiresAt.toISOString() },
      });
      return saved;
    });
    return { id: row.id, deviceId, token, expiresAt: expiresAt.toISOString() };
  }

  async revokeSerial(
    tenantId: string,
    serial: string,
    reason: RevocationReason,
    actor: string,
  ): Promise<RevokedCertificateView> {
    await this.owners.require(tenantId);
    const serialNumber = parseSerial(serial);
    const existing = serialNumber
      ? await this.dataSource
          .getRepository(IssuedCertificateEntity)
          .findOneBy({ ownerTenantId: tenantId, serialNumber })
      : null;
    if (!existing || !serialNumber) throw notFound('certificate', serial);
    const revoked = await this.revoke(tenantId, { serialNumber }, reason, actor);
    if (!revoked[0])
      throw certificateProblem(
        409,
        'already-revoked',
        'Certificate already revoked',
        `certificate ${serialNumber} was revoked at ${existing.revokedAt?.toISOString()} (${existing.revocationReason})`,
      );
    return revoked[0];
  }

  async revokeDevice(
    tenantId: string,
    reference: string,
    reason: RevocationReason,
    actor: string,
  ): Promise<RevokedCertificateView[]> {
    await this.owners.require(tenantId);
    const deviceId = await this.deviceOf(tenantId, reference);
    return this.revoke(tenantId, { deviceId }, reason, actor);
  }

  /**
   * A device by current or original GUID or id that the owner holds the voucher of or issued a
   * certificate to (an owner can revoke what it issued after the device moved on).
   */
  private async deviceOf(tenantId: string, reference: string): Promise<string> {
    const guid = reference.replace(/-/g, '').toLowerCase();
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT d.id FROM device d
        WHERE (d.guid = $2 OR d.original_guid = $2 OR ($3::boolean AND d.id::text = $4))
          AND (EXISTS (SELECT 1 FROM voucher v WHERE v.device_id = d.id AND v.holder_tenant_id = $1)
            OR EXISTS (SELECT 1 FROM issued_certificate c WHERE c.device_id = d.id AND c.owner_tenant_id = $1))
        LIMIT 1`,
      [tenantId, guid, isUuid(reference), reference],
    );
    if (!rows[0]) throw notFound('device', reference);
    return rows[0].id;
  }

  private async revoke(
    tenantId: string,
    target: { serialNumber: string } | { deviceId: string },
    reason: RevocationReason,
    actor: string,
  ): Promise<RevokedCertificateView[]> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      const certificates = await this.revocations.revoke(manager, {
        ownerTenantId: tenantId,
        target,
        reason,
        actor,
      });
      for (const certificate of certificates)
        await this.webhooks.emit(manager, {
          tenantId,
          type: 'certificate.revoked',
          subject: `device:${certificate.guid}`,
          data: revocationEventData(certificate),
        });
      return certificates;
    });
    return revoked.map(view);
  }
}
