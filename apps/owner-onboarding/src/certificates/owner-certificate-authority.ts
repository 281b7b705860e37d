import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import {
  AuditLog,
  type CertificateRequestKind,
  IssuedCertificateEntity,
  normalizeSerial,
  OwnerCaStore,
  ExpiringCache,
} from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import {
  CertificateIssuer,
  certificateFingerprint,
  type KeyCustody,
  NOT_BEFORE_SKEW_MS,
  type ParsedCsr,
} from '@ztp/pki';
import { guidToUuid, parseGuid } from '@ztp/protocol';
import { WebhookEvents } from '@ztp/queue';
import { X509Certificate } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type CertificateAuthorityPort } from '../service-info/modules/owner-module';
import { revocationUrls } from './revocation-urls';

interface CaInfo {
  keyId: string;
  certificate: Uint8Array;
  allowServerKeygen: boolean;
}

/**
 * The owner tenant's CA behind fdo.csr: created on first use (P-256, in key custody) unless the
 * owner created it through the API first. Every certificate issued is recorded in
 * issued_certificate with an audit event and a `certificate.issued` webhook, in one transaction.
 * The subject is CN = the device's GUID (after this TO2), serialNumber = its serial when known,
 * O = the owner's name; the device's requested subject is not used. The certificate names the CA's
 * CRL and OCSP URLs on this service (revocation.controller.ts).
 */
@Injectable()
export class OwnerCertificateAuthority implements CertificateAuthorityPort {
  private readonly cas = new ExpiringCache<string, CaInfo>(1024, 60_000);
  private readonly store: OwnerCaStore;
  private readonly issuer: CertificateIssuer;
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly webhooks: WebhookEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.store = new OwnerCaStore(dataSource, custody, () => clock.now());
    this.issuer = new CertificateIssuer({
      custody,
      now: () => clock.now(),
      randomBytes: (n) => randomBytes(n),
    });
    this.audit = new AuditLog(() => clock.now());
  }

  private ca(ownerTenantId: string): Promise<CaInfo> {
    return this.cas.getOrLoad(ownerTenantId, async () => {
      const { ca } = await this.store.ensure(ownerTenantId, {
        onCreated: (manager, created) =>
          this.audit
            .append(manager, {
              tenantId: ownerTenantId,
              eventType: 'onboarding.owner-ca-created',
              subject: `owner-ca:${ownerTenantId}`,
              actor: 'system',
              data: {
                spec: created.spec,
                fingerprint: certificateFingerprint(created.certificate),
                onFirstUse: true,
              },
            })
            .then(() => undefined),
      });
      return {
        keyId: ca.custodyKeyId,
        certificate: new Uint8Array(ca.certificate),
        allowServerKeygen: ca.allowServerKeygen,
      };
    });
  }

  async caCertificate(ownerTenantId: string): Promise<Uint8Array> {
    return (await this.ca(ownerTenantId)).certificate;
  }

  async allowsServerKeygen(ownerTenantId: string): Promise<boolean> {
    return (await this.ca(ownerTenantId)).allowServerKeygen;
  }

  async issue(
    request: Parameters<CertificateAuthorityPort['issue']>[0],
    inTransaction?: (manager: EntityManager, certificate: IssuedCertificateEntity) => Promise<void>,
  ): Promise<Uint8Array> {
    const { context, csr, kind, validityDays } = request;
    const ca = await this.ca(context.ownerTenantId);
    const rows: { name: string; serial_number: string | null }[] = await this.dataSource.query(
      `SELECT t.name, d.serial_number FROM tenant t, device d WHERE t.id = $1 AND d.id = $2`,
      [context.ownerTenantId, context.deviceId],
    );
    const subjectInfo = rows[0];
    const der = await this.issuer.issueFromCsr(
      { keyId: ca.keyId, certificate: ca.certificate },
      csr,
      {
        kind: 'operational-client',
        subject: {
          organization: subjectInfo?.name,
          commonName: guidToUuid(parseGuid(context.guidHex)),
          serialNumber: subjectInfo?.serial_number ?? undefined,
        },
        validityDays,
      },
      revocationUrls(this.config.apps.ownerOnboarding.publicUrl, context.ownerTenantId),
    );
    await this.dataSource.transaction(async (manager) => {
      const row = await this.record(manager, {
        ownerTenantId: context.ownerTenantId,
        deviceId: context.deviceId,
        guid: context.guidHex,
        der,
        kind,
        replacesCertificateId: null,
      });
      const data = certificateEventData(row);
      await this.audit.append(manager, {
        tenantId: context.ownerTenantId,
        eventType: 'certificate.issued',
        subject: `device:${context.guidHex}`,
        actor: `device:${context.guidHex}`,
        data,
      });
      await this.webhooks.emit(manager, {
        tenantId: context.ownerTenantId,
        type: 'certificate.issued',
        subject: `device:${context.guidHex}`,
        data,
      });
      await inTransaction?.(manager, row);
    });
    return der;
  }

  /**
   * A renewal of `previous` for the CSR's (new) key: same subject, SANs and usages, a validity as
   * long as the previous one's, from the owner's current CA. Only signs; `record` stores it.
   */
  async signRenewal(previous: IssuedCertificateEntity, csr: ParsedCsr): Promise<Uint8Array> {
    const ca = await this.ca(previous.ownerTenantId);
    const old = new X509Certificate(previous.certificate);
    const lifetimeMs =
      new Date(old.validTo).getTime() - new Date(old.validFrom).getTime() - NOT_BEFORE_SKEW_MS;
    const validityDays = Math.max(1, Math.round(lifetimeMs / 86_400_000));
    return this.issuer.renewFromCsr(
      { keyId: ca.keyId, certificate: ca.certificate },
      new Uint8Array(previous.certificate),
      csr,
      validityDays,
      revocationUrls(this.config.apps.ownerOnboarding.publicUrl, previous.ownerTenantId),
    );
  }

  /** Stores an issued certificate (DER) in issued_certificate, in the caller's transaction. */
  async record(
    manager: EntityManager,
    input: {
      ownerTenantId: string;
      deviceId: string;
      guid: string;
      der: Uint8Array;
      kind: CertificateRequestKind;
      replacesCertificateId: string | null;
    },
  ): Promise<IssuedCertificateEntity> {
    const certificate = new X509Certificate(input.der);
    return manager.getRepository(IssuedCertificateEntity).save({
      ownerTenantId: input.ownerTenantId,
      deviceId: input.deviceId,
      guid: input.guid,
      serialNumber: normalizeSerial(certificate.serialNumber),
      subject: certificate.subject.replace(/\n/g, ', '),
      fingerprint: certificateFingerprint(input.der),
      certificate: Buffer.from(input.der),
      notAfter: new Date(certificate.validTo),
      kind: input.kind,
      issuedAt: this.clock.now(),
      replacesCertificateId: input.replacesCertificateId,
    });
  }
}

/** The data of certificate.issued / renewed audit events and webhooks. */
export function certificateEventData(row: IssuedCertificateEntity): Record<string, unknown> {
  return {
    certificateId: row.id,
    serialNumber: row.serialNumber,
    fingerprint: row.fingerprint,
    kind: row.kind,
    notAfter: row.notAfter,
    ...(row.replacesCertificateId ? { replacesCertificateId: row.replacesCertificateId } : {}),
  };
}
