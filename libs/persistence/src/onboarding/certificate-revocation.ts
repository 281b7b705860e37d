import { createCrl, type KeyCustody, type RevocationReason, type RevokedEntry } from '@ztp/pki';
import { type DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '../ledger/audit-log';
import { preparedQuery } from '../support/prepared-query';
import { OwnerCaEntity } from './owner-ca.entity';

/** A certificate revoked by one call, as audit events and webhooks describe it. */
export interface RevokedCertificate {
  readonly certificateId: string;
  readonly serialNumber: string;
  readonly fingerprint: string;
  readonly deviceId: string;
  readonly guid: string;
  readonly reason: RevocationReason;
  readonly revokedAt: Date;
}

/** Which of an owner's certificates to revoke. */
export type RevocationTarget = { readonly serialNumber: string } | { readonly deviceId: string };

export interface RevokeInput {
  readonly ownerTenantId: string;
  readonly target: RevocationTarget;
  readonly reason: RevocationReason;
  readonly actor: string;
}

/** A certificate's revocation status by serial, as an OCSP responder needs it. */
export type CertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'unknown' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: RevocationReason };

/** CRLs are valid for a day and re-signed once less than half of that is left, or on revocation. */
export const CRL_VALIDITY_MS = 24 * 3_600_000;
export const CRL_REFRESH_BEFORE_MS = CRL_VALIDITY_MS / 2;

/** Serial numbers as stored: lower-case hex without leading zero bytes. */
export function normalizeSerial(serial: string): string {
  const hex = serial.toLowerCase().replace(/^(00)+(?=..)/, '');
  return hex;
}

/**
 * Revocation of the operational certificates an owner CA issued (issued_certificate), and the
 * owner CA's CRL. Revoking writes one `certificate.revoked` audit event per certificate and marks
 * the CRL stale, all in the caller's transaction, so the callers (the owner's API, re-enrolment,
 * device decommissioning) add their own writes (webhooks) to the same commit.
 */
export class CertificateRevocations {
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    private readonly custody: KeyCustody,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.audit = new AuditLog(now);
  }

  /**
   * Revokes the target's certificates that are not revoked yet (none is not an error: revoking is
   * idempotent, and a device may have no certificate). Must run inside a transaction.
   */
  async revoke(manager: EntityManager, input: RevokeInput): Promise<RevokedCertificate[]> {
    const revokedAt = new Date(Math.floor(this.now().getTime() / 1000) * 1000);
    const [column, value] =
      'serialNumber' in input.target
        ? ['serial_number', normalizeSerial(input.target.serialNumber)]
        : ['device_id', input.target.deviceId];
    // TypeORM answers an UPDATE ... RETURNING on PostgreSQL with [rows, affected count].
    const [rows]: [
      { id: string; serial_number: string; fingerprint: string; device_id: string; guid: string }[],
      number,
    ] = await manager.query(
      `UPDATE issued_certificate SET revoked_at = $3, revocation_reason = $4
        WHERE owner_tenant_id = $1 AND ${column} = $2 AND revoked_at IS NULL
        RETURNING id, serial_number, fingerprint, device_id, guid`,
      [input.ownerTenantId, value, revokedAt, input.reason],
    );
    if (rows.length === 0) return [];
    await manager.query(
      `INSERT INTO owner_ca_crl (owner_tenant_id) VALUES ($1)
       ON CONFLICT (owner_tenant_id) DO UPDATE SET stale = true`,
      [input.ownerTenantId],
    );
    const revoked = rows.map((row) => ({
      certificateId: row.id,
      serialNumber: row.serial_number,
      fingerprint: row.fingerprint,
      deviceId: row.device_id,
      guid: row.guid,
      reason: input.reason,
      revokedAt,
    }));
    for (const certificate of revoked) {
      await this.audit.append(manager, {
        tenantId: input.ownerTenantId,
        eventType: 'certificate.revoked',
        subject: `device:${certificate.guid}`,
        actor: input.actor,
        data: revocationEventData(certificate),
      });
    }
    return revoked;
  }

  /** Whether the owner's CA issued the certificate with this serial, and its revocation. */
  async status(
    ownerTenantId: string,
    serialNumbers: readonly string[],
  ): Promise<Map<string, CertificateStatus>> {
    const serials = serialNumbers.map(normalizeSerial);
    const rows: {
      serial_number: string;
      revoked_at: Date | null;
      revocation_reason: RevocationReason | null;
    }[] = await preparedQuery(
      this.dataSource,
      'ocsp_certificate_status',
      `SELECT serial_number, revoked_at, revocation_reason FROM issued_certificate
          WHERE owner_tenant_id = $1 AND serial_number = ANY($2::text[])`,
      [ownerTenantId, serials],
    );
    const found = new Map(rows.map((row) => [row.serial_number, row]));
    return new Map(
      serialNumbers.map((serial, i): [string, CertificateStatus] => {
        const row = found.get(serials[i]!);
        if (!row) return [serial, { status: 'unknown' }];
        if (row.revoked_at && row.revocation_reason)
          return [serial, { status: 'revoked', revokedAt: row.revoked_at, reason: row.revocation_reason }];
        return [serial, { status: 'good' }];
      }),
    );
  }

  /**
   * The owner CA's current CRL (DER), signed anew when a revocation made it stale, when less than
   * CRL_REFRESH_BEFORE_MS of its validity is left, or when there is none yet; null when the owner has
   * no CA. Concurrent callers wait on the row lock and then serve the one CRL the first signed.
   */
  async currentCrl(ownerTenantId: string): Promise<Uint8Array | null> {
    const ca = await this.dataSource.getRepository(OwnerCaEntity).findOneBy({ ownerTenantId });
    if (!ca) return null;
    const fresh = await this.readFresh(this.dataSource.manager, ownerTenantId);
    if (fresh) return fresh;
    // Before the transaction: custody reads its own table, and on the embedded database a second
    // connection waits for the open transaction's session.
    const signer = await this.custody.signer(ca.custodyKeyId);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO owner_ca_crl (owner_tenant_id) VALUES ($1) ON CONFLICT (owner_tenant_id) DO NOTHING`,
        [ownerTenantId],
      );
      const locked = await this.readFresh(manager, ownerTenantId, true);
      if (locked) return locked;
      const [{ crl_number: current }]: { crl_number: string }[] = await manager.query(
        `SELECT crl_number FROM owner_ca_crl WHERE owner_tenant_id = $1`,
        [ownerTenantId],
      );
      const now = this.now();
      const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
      const entries: { serial_number: string; revoked_at: Date; revocation_reason: RevocationReason }[] =
        await manager.query(
          // Certificates past notAfter leave the CRL (RFC 5280 3.3): no relying party accepts them anyway.
          `SELECT serial_number, revoked_at, revocation_reason FROM issued_certificate
            WHERE owner_tenant_id = $1 AND revoked_at IS NOT NULL AND not_after > $2
            ORDER BY revoked_at, serial_number`,
          [ownerTenantId, now],
        );
      const crlNumber = BigInt(current) + 1n;
      const crl = await createCrl(signer, new Uint8Array(ca.certificate), {
        crlNumber,
        thisUpdate,
        nextUpdate,
        entries: entries.map((row): RevokedEntry => ({
          serialNumber: row.serial_number,
          revokedAt: row.revoked_at,
          reason: row.revocation_reason,
        })),
      });
      await manager.query(
        `UPDATE owner_ca_crl SET crl_number = $2, this_update = $3, next_update = $4, crl = $5, stale = false
          WHERE owner_tenant_id = $1`,
        [ownerTenantId, crlNumber.toString(), thisUpdate, nextUpdate, Buffer.from(crl)],
      );
      return crl;
    });
  }

  private async readFresh(
    manager: EntityManager,
    ownerTenantId: string,
    lock = false,
  ): Promise<Uint8Array | null> {
    const rows: { crl: Buffer | null; next_update: Date | null; stale: boolean }[] = await manager.query(
      `SELECT crl, next_update, stale FROM owner_ca_crl WHERE owner_tenant_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [ownerTenantId],
    );
    const row = rows[0];
    if (!row || row.stale || !row.crl || !row.next_update) return null;
    if (row.next_update.getTime() - this.now().getTime() < CRL_REFRESH_BEFORE_MS) return null;
    return new Uint8Array(row.crl);
  }
}

/** The data of a `certificate.revoked` audit event and webhook. */
export function revocationEventData(certificate: RevokedCertificate): Record<string, unknown> {
  return {
    certificateId: certificate.certificateId,
    serialNumber: certificate.serialNumber,
    fingerprint: certificate.fingerprint,
    deviceId: certificate.deviceId,
    reason: certificate.reason,
    revokedAt: certificate.revokedAt.toISOString(),
  };
}
