import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import {
  AuditLog,
  CertificateRevocations,
  EstEnrollmentTokenEntity,
  ExpiringCache,
  IssuedCertificateEntity,
  OwnerCaEntity,
  revocationEventData,
  TenantEntity,
  tenantSettings,
} from '@ztp/persistence';
import { csrAttributes, type KeySpec, parseCsr, type ParsedCsr, PkiError } from '@ztp/pki';
import { APP_CONFIG, CLOCK, type Clock, isUuid, type PresentedClientCertificate } from '@ztp/platform';
import { WebhookEvents } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { certificateEventData, OwnerCertificateAuthority } from '../certificates/owner-certificate-authority';
import { EstRefusal } from './est-errors';

/** Validity of certificates from simpleenroll (the owner's plan decides it for fdo.csr). */
export const EST_ENROLL_VALIDITY_DAYS = 365;

/** What a certificate obtained over EST is, for the response. */
export interface EstIssued {
  readonly certificate: Uint8Array;
  readonly certificateId: string;
}

const sha256Hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * EST (RFC 7030) for owner CAs' operational certificates. simplereenroll: the device authenticates
 * with its current certificate (TLS client certificate, or from a trusted proxy), which must be one
 * the owner's CA issued, not revoked, and not expired beyond the owner's grace; the request must
 * carry a new key; the renewal keeps subject and SANs and supersedes (revokes) the old certificate
 * in the transaction that records the new one. simpleenroll: a one-time enrolment token from the
 * owner's API, spent in the transaction that records the certificate.
 */
@Injectable()
export class EstService {
  private readonly audit: AuditLog;
  private readonly caSpecs = new ExpiringCache<string, KeySpec>(1024, 60_000);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ca: OwnerCertificateAuthority,
    private readonly revocations: CertificateRevocations,
    private readonly webhooks: WebhookEvents,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.audit = new AuditLog(() => clock.now());
  }

  /**
   * The owner a request is for: the label of /.well-known/est/{owner tenant id}/..., else the
   * owner whose CA issued the presented client certificate.
   */
  async ownerOf(
    label: string | undefined,
    presented: PresentedClientCertificate | undefined,
  ): Promise<string> {
    if (label !== undefined) {
      if (!isUuid(label) || !(await this.caSpec(label)))
        throw new EstRefusal(404, 'unknown-ca', `no owner CA is labelled ${label}`);
      return label;
    }
    const current = presented ? await this.issuedCertificate(presented.leaf) : null;
    if (!current)
      throw new EstRefusal(
        404,
        'unknown-ca',
        'name the owner CA in the path (/.well-known/est/{owner tenant id}/...) or present a certificate it issued',
      );
    return current.ownerTenantId;
  }

  /** The owner CA's certificate(s), for cacerts. */
  async caCertificates(ownerTenantId: string): Promise<Uint8Array[]> {
    return [await this.ca.caCertificate(ownerTenantId)];
  }

  async csrAttributes(ownerTenantId: string): Promise<Uint8Array> {
    const spec = await this.caSpec(ownerTenantId);
    if (!spec) throw new EstRefusal(404, 'unknown-ca', `owner ${ownerTenantId} has no CA`);
    return csrAttributes(spec);
  }

  async reenroll(
    label: string | undefined,
    presented: PresentedClientCertificate | undefined,
    csrDer: Uint8Array,
  ): Promise<EstIssued> {
    if (!presented)
      throw new EstRefusal(
        401,
        'client-certificate-required',
        'simplereenroll needs the current operational certificate as TLS client certificate',
      );
    const current = await this.issuedCertificate(presented.leaf);
    if (!current || (label !== undefined && current.ownerTenantId !== label))
      throw new EstRefusal(
        403,
        'unknown-certificate',
        "the client certificate is not an operational certificate of this owner's CA",
      );
    if (current.revokedAt)
      throw new EstRefusal(
        403,
        'certificate-revoked',
        `the client certificate was revoked at ${current.revokedAt.toISOString()} (${current.revocationReason}); the device must onboard again`,
      );
    const now = this.clock.now();
    const grace = await this.graceSeconds(current.ownerTenantId);
    if (now.getTime() > current.notAfter.getTime() + grace * 1000)
      throw new EstRefusal(
        403,
        'certificate-expired',
        `the client certificate expired at ${current.notAfter.toISOString()}${grace > 0 ? ` (grace ${grace} s)` : ''}; the device must onboard again`,
      );
    const csr = await this.parseRequest(csrDer);
    if (Buffer.from(csr.publicKeySpki).equals(spkiOf(current.certificate)))
      throw new EstRefusal(
        400,
        'same-key',
        're-enrolment needs a new key: the request carries the key of the current certificate',
      );
    const der = await this.ca.signRenewal(current, csr);
    const actor = `device:${current.guid}`;
    const row = await this.dataSource.transaction(async (manager) => {
      const superseded = await this.revocations.revoke(manager, {
        ownerTenantId: current.ownerTenantId,
        target: { serialNumber: current.serialNumber },
        reason: 'superseded',
        actor,
      });
      // A concurrent re-enrolment with the same certificate won: this one renews nothing.
      if (superseded.length === 0)
        throw new EstRefusal(
          409,
          'certificate-revoked',
          'the client certificate was renewed or revoked meanwhile',
        );
      const renewed = await this.ca.record(manager, {
        ownerTenantId: current.ownerTenantId,
        deviceId: current.deviceId,
        guid: current.guid,
        der,
        kind: 'simplereenroll',
        replacesCertificateId: current.id,
      });
      const data = certificateEventData(renewed);
      await this.audit.append(manager, {
        tenantId: current.ownerTenantId,
        eventType: 'certificate.renewed',
        subject: actor,
        actor,
        data,
      });
      await this.webhooks.emit(manager, {
        tenantId: current.ownerTenantId,
        type: 'certificate.renewed',
        subject: actor,
        data,
      });
      for (const revoked of superseded)
        await this.webhooks.emit(manager, {
          tenantId: current.ownerTenantId,
          type: 'certificate.revoked',
          subject: actor,
          data: revocationEventData(revoked),
        });
      return renewed;
    });
    return { certificate: der, certificateId: row.id };
  }

  async enroll(label: string | undefined, token: string | undefined, csrDer: Uint8Array): Promise<EstIssued> {
    if (!token)
      throw new EstRefusal(
        401,
        'enrollment-token-required',
        'simpleenroll needs the one-time enrolment token from the owner (HTTP Basic password or Bearer)',
      );
    const tokenSha256 = sha256Hex(token);
    const entry = await this.dataSource.getRepository(EstEnrollmentTokenEntity).findOneBy({ tokenSha256 });
    const now = this.clock.now();
    if (!entry || (label !== undefined && entry.ownerTenantId !== label))
      throw new EstRefusal(401, 'bad-enrollment-token', 'the enrolment token is not valid');
    if (entry.usedAt)
      throw new EstRefusal(403, 'enrollment-token-used', 'the enrolment token was already used');
    if (entry.expiresAt.getTime() <= now.getTime())
      throw new EstRefusal(
        403,
        'enrollment-token-expired',
        `the enrolment token expired at ${entry.expiresAt.toISOString()}`,
      );
    const csr = await this.parseRequest(csrDer);
    const device: { guid: string }[] = await this.dataSource.query(`SELECT guid FROM device WHERE id = $1`, [
      entry.deviceId,
    ]);
    let certificateId = '';
    const der = await this.ca.issue(
      {
        context: { ownerTenantId: entry.ownerTenantId, deviceId: entry.deviceId, guidHex: device[0]!.guid },
        csr,
        kind: 'simpleenroll',
        validityDays: EST_ENROLL_VALIDITY_DAYS,
      },
      async (manager, row) => {
        const spent: [unknown[], number] = await manager.query(
          `UPDATE est_enrollment_token SET used_at = $2, certificate_id = $3 WHERE id = $1 AND used_at IS NULL`,
          [entry.id, now, row.id],
        );
        if (spent[1] !== 1)
          throw new EstRefusal(403, 'enrollment-token-used', 'the enrolment token was already used');
        certificateId = row.id;
      },
    );
    return { certificate: der, certificateId };
  }

  private async parseRequest(der: Uint8Array): Promise<ParsedCsr> {
    try {
      return await parseCsr(der);
    } catch (err) {
      if (!(err instanceof PkiError)) throw err;
      if (err.code === 'bad-csr-signature')
        throw new EstRefusal(
          400,
          'bad-csr-signature',
          'the certification request is not signed by the key it carries (proof of possession failed)',
        );
      throw new EstRefusal(400, err.code, `bad certification request: ${err.message}`);
    }
  }

  private async issuedCertificate(leaf: Uint8Array): Promise<IssuedCertificateEntity | null> {
    return this.dataSource.getRepository(IssuedCertificateEntity).findOneBy({ fingerprint: sha256Hex(leaf) });
  }

  private async graceSeconds(ownerTenantId: string): Promise<number> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: ownerTenantId });
    return (
      tenantSettings(tenant?.settings).certificateReenrollGraceSeconds ?? this.config.est.reenrollGraceSeconds
    );
  }

  private async caSpec(ownerTenantId: string): Promise<KeySpec | null> {
    const cached = this.caSpecs.get(ownerTenantId);
    if (cached) return cached;
    const row = await this.dataSource.getRepository(OwnerCaEntity).findOneBy({ ownerTenantId });
    if (!row) return null;
    this.caSpecs.set(ownerTenantId, row.spec as KeySpec);
    return row.spec as KeySpec;
  }
}

/** The SubjectPublicKeyInfo (DER) of a certificate. */
function spkiOf(der: Uint8Array): Buffer {
  return new NodeX509(der).publicKey.export({ type: 'spki', format: 'der' });
}
