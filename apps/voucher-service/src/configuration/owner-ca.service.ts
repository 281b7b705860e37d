import { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { OwnerCaEntity, OwnerCaStore, OwnerDeviceCaEntity } from '@ztp/persistence';
import { type Clock, CLOCK, isUuid, KEY_CUSTODY } from '@ztp/platform';
import { certificateFingerprint, derToPem, type KeyCustody, type KeySpec, pemToDer } from '@ztp/pki';
import { DataSource, QueryFailedError } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { configurationProblem } from './configuration-problems';
import { OwnerTenants } from './owner-tenants';

export interface OwnerCaView {
  subject: string;
  spec: string;
  allowServerKeygen: boolean;
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  certificatePem: string;
  createdAt: string;
}

export interface DeviceCaView {
  id: string;
  name: string;
  subject: string;
  fingerprint: string;
  notAfter: string;
  createdAt: string;
}

export function ownerCaView(row: OwnerCaEntity): OwnerCaView {
  const certificate = new X509Certificate(row.certificate);
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    spec: row.spec,
    allowServerKeygen: row.allowServerKeygen,
    fingerprint: certificateFingerprint(row.certificate),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    certificatePem: derToPem(row.certificate),
    createdAt: row.createdAt.toISOString(),
  };
}

export function deviceCaView(row: OwnerDeviceCaEntity): DeviceCaView {
  const certificate = new X509Certificate(row.certificate);
  return {
    id: row.id,
    name: row.name,
    subject: certificate.subject.replace(/\n/g, ', '),
    fingerprint: row.fingerprint,
    notAfter: new Date(certificate.validTo).toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

const UNIQUE_VIOLATION = '23505';

/**
 * The owner's CA for operational certificates (fdo.csr; shared with SZTP), and the manufacturer
 * device CAs the owner trusts in TO2 (none: any device chain is accepted).
 */
@Injectable()
export class OwnerCaService {
  private readonly store: OwnerCaStore;

  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    private readonly audit: LedgerAudit,
    @Inject(KEY_CUSTODY) custody: KeyCustody,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.store = new OwnerCaStore(dataSource, custody, () => clock.now());
  }

  async create(
    tenantId: string,
    input: { spec: KeySpec; commonName?: string; validityDays: number; allowServerKeygen: boolean },
    actor: string,
  ): Promise<{ ca: OwnerCaEntity; created: boolean }> {
    await this.owners.require(tenantId);
    return this.store.ensure(tenantId, {
      ...input,
      onCreated: (manager, ca) =>
        this.audit.record(manager, {
          tenantId,
          eventType: 'onboarding.owner-ca-created',
          subject: `owner-ca:${tenantId}`,
          actor,
          data: { spec: ca.spec, fingerprint: certificateFingerprint(ca.certificate) },
        }),
    });
  }

  async get(tenantId: string): Promise<OwnerCaEntity> {
    await this.owners.require(tenantId);
    const ca = await this.store.find(tenantId);
    if (!ca) throw notFound('owner CA of tenant', tenantId);
    return ca;
  }

  async setServerKeygen(tenantId: string, allow: boolean, actor: string): Promise<OwnerCaEntity> {
    await this.get(tenantId);
    await this.dataSource.transaction(async (manager) => {
      await manager
        .getRepository(OwnerCaEntity)
        .update({ ownerTenantId: tenantId }, { allowServerKeygen: allow });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.owner-ca-updated',
        subject: `owner-ca:${tenantId}`,
        actor,
        data: { allowServerKeygen: allow },
      });
    });
    return this.get(tenantId);
  }

  async addDeviceCa(tenantId: string, input: { name: string; certificatePem: string }, actor: string) {
    await this.owners.require(tenantId);
    let der: Uint8Array;
    try {
      der = pemToDer(input.certificatePem);
      new X509Certificate(der);
    } catch {
      throw configurationProblem(
        400,
        'bad-certificate',
        'Bad certificate',
        'certificatePem is not a PEM certificate',
      );
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await manager.getRepository(OwnerDeviceCaEntity).save({
          ownerTenantId: tenantId,
          name: input.name,
          certificate: Buffer.from(der),
          fingerprint: certificateFingerprint(der),
        });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'onboarding.device-ca-trusted',
          subject: `device-ca:${row.id}`,
          actor,
          data: { name: row.name, fingerprint: row.fingerprint },
        });
        return row;
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw configurationProblem(
          409,
          'device-ca-exists',
          'Already trusted',
          'the owner already trusts this CA',
        );
      throw err;
    }
  }

  async deviceCas(tenantId: string): Promise<OwnerDeviceCaEntity[]> {
    await this.owners.require(tenantId);
    return this.dataSource
      .getRepository(OwnerDeviceCaEntity)
      .find({ where: { ownerTenantId: tenantId }, order: { createdAt: 'ASC' } });
  }

  async removeDeviceCa(tenantId: string, id: string, actor: string): Promise<void> {
    const row = isUuid(id)
      ? await this.dataSource.getRepository(OwnerDeviceCaEntity).findOneBy({ id, ownerTenantId: tenantId })
      : null;
    if (!row) throw notFound('device CA', id);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(OwnerDeviceCaEntity).delete({ id: row.id });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.device-ca-removed',
        subject: `device-ca:${row.id}`,
        actor,
        data: { name: row.name, fingerprint: row.fingerprint },
      });
    });
  }
}
