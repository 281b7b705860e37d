import { randomBytes, X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { OwnerCaEntity, OwnerCaRequestEntity, OwnerCaStore, OwnerDeviceCaEntity } from '@ztp/persistence';
import { type Clock, CLOCK, isUuid, KEY_CUSTODY } from '@ztp/platform';
import {
  certificateFingerprint,
  createCsr,
  derToPem,
  type KeyCustody,
  type KeySpec,
  pemToDer,
  pemToDerAll,
  validateChain,
} from '@ztp/pki';
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
  /** Imported CAs: the chain above it up to the owner's root (PEM); null for a root made here. */
  chainPem: string | null;
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
    chainPem: row.chainPem,
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
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.store = new OwnerCaStore(dataSource, custody, () => clock.now());
  }

  private now(): Date {
    return this.clock.now();
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

  /**
   * Bring your own issuing CA, step 1: a key in custody and its CSR (PEM) for the owner's corporate
   * root to sign. Only while the owner has no CA; a new request replaces a pending one (its key is
   * destroyed).
   */
  async requestCa(
    tenantId: string,
    input: { spec: KeySpec; commonName: string; organization?: string },
    actor: string,
  ): Promise<{ csrPem: string }> {
    await this.owners.require(tenantId);
    if (await this.store.find(tenantId))
      throw configurationProblem(409, 'owner-ca-exists', 'The owner has a CA', 'the owner already has a CA');
    const keyId = `owner-ca:${tenantId}:${randomBytes(6).toString('hex')}`;
    await this.custody.generateKey({ keyId, spec: input.spec, purpose: `owner-ca:${tenantId}` });
    const csr = await createCsr({
      signer: await this.custody.signer(keyId),
      subject: {
        ...(input.organization ? { organization: input.organization } : {}),
        commonName: input.commonName,
      },
    });
    // Two requests at once would both delete, then both insert (a unique violation, a 500): the
    // second waits for the first, then replaces its pending request like any later one.
    const previous = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('owner-ca-request:' || $1))`, [tenantId]);
      const pending = await manager
        .getRepository(OwnerCaRequestEntity)
        .findOneBy({ ownerTenantId: tenantId });
      await manager.getRepository(OwnerCaRequestEntity).delete({ ownerTenantId: tenantId });
      await manager.getRepository(OwnerCaRequestEntity).insert({
        ownerTenantId: tenantId,
        custodyKeyId: keyId,
        spec: input.spec,
        csr: Buffer.from(csr),
      });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.owner-ca-requested',
        subject: `owner-ca:${tenantId}`,
        actor,
        data: { spec: input.spec, commonName: input.commonName },
      });
      return pending;
    });
    if (previous) await this.custody.destroyKey(previous.custodyKeyId);
    return { csrPem: derToPem(csr, 'CERTIFICATE REQUEST') };
  }

  /**
   * Step 2: the CA certificate the corporate root signed, followed by the chain up to that root.
   * It must be for the pending key, a CA allowed to sign certificates, valid now, and chain to the
   * last (self-signed) certificate given.
   */
  async importCa(tenantId: string, chainPem: string, actor: string): Promise<OwnerCaEntity> {
    await this.owners.require(tenantId);
    const request = await this.dataSource
      .getRepository(OwnerCaRequestEntity)
      .findOneBy({ ownerTenantId: tenantId });
    if (!request)
      throw configurationProblem(
        409,
        'no-ca-request',
        'No pending CA request',
        'POST /v1/onboarding/ca/csr first',
      );
    let chain: Uint8Array[];
    try {
      chain = pemToDerAll(chainPem);
      chain.forEach((der) => new X509Certificate(der));
    } catch {
      chain = [];
    }
    if (chain.length < 2)
      throw configurationProblem(
        400,
        'bad-certificate',
        'Bad certificate',
        'give the CA certificate and the chain above it up to the root, as PEM',
      );
    const [leaf, ...above] = chain as [Uint8Array, ...Uint8Array[]];
    const pending = (await this.custody.describeKey(request.custodyKeyId)).publicKeySpki;
    if (
      !Buffer.from(pending).equals(
        new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' }),
      )
    )
      throw configurationProblem(
        400,
        'wrong-key',
        'Not for the pending key',
        'the certificate is not for the key of the CSR',
      );
    try {
      validateChain(chain, [above[above.length - 1]!], {
        at: this.now(),
        leafKeyUsage: ['keyCertSign'],
      });
    } catch (err) {
      throw configurationProblem(400, 'bad-chain', 'Chain does not validate', (err as Error).message);
    }
    if (!readCaFlag(leaf))
      throw configurationProblem(
        400,
        'not-a-ca',
        'Not a CA certificate',
        'the certificate must have basicConstraints cA',
      );
    const certificate = new X509Certificate(leaf);
    const row = await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(OwnerCaRequestEntity).delete({ ownerTenantId: tenantId });
      const saved = await manager.getRepository(OwnerCaEntity).save({
        ownerTenantId: tenantId,
        custodyKeyId: request.custodyKeyId,
        spec: request.spec,
        subject: certificate.subject.replace(/\n/g, ', '),
        certificate: Buffer.from(leaf),
        chainPem: above.map((der) => derToPem(der)).join(''),
        allowServerKeygen: false,
      });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.owner-ca-imported',
        subject: `owner-ca:${tenantId}`,
        actor,
        data: {
          fingerprint: certificateFingerprint(leaf),
          root: certificateFingerprint(above[above.length - 1]!),
        },
      });
      return saved;
    });
    return row;
  }
}

function readCaFlag(der: Uint8Array): boolean {
  return new X509Certificate(der).ca;
}
