import { randomUUID } from 'node:crypto';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { OwnerKeyEntity, TenantEntity } from '@ztp/persistence';
import {
  CertificateIssuer,
  defaultSigAlgForSpec,
  type KeyCustody,
  type KeySpec,
  keySpecOf,
  sigAlgFitsKeySpec,
} from '@ztp/pki';
import { CLOCK, type Clock, isUuid, KEY_CUSTODY, ProblemException } from '@ztp/platform';
import { type FdoPublicKey, sigAlgsForPkType } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager, IsNull, QueryFailedError } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { keysetPage, type Page } from '../vouchers/http/cursor';
import { ownerKeyView, type OwnerKeyView, spkiSha256 } from './owner-key-view';

const UNIQUE_VIOLATION = '23505';

const problem = (status: number, slug: string, title: string, detail: string) =>
  new ProblemException(status, { type: `https://ztp.dev/problems/${slug}`, title, detail });

/** A custody signer for an owner key, with the row it belongs to. */
export interface OwnerKeySigner {
  key: OwnerKeyEntity;
  signer: Signer;
}

/**
 * Owner keys: a tenant's voucher-signing keys, generated and held in KEY_CUSTODY (only custody ids
 * and public keys are stored). Also answers which key signs for a voucher and which key of a
 * recipient a voucher is extended to.
 */
@Injectable()
export class OwnerKeyService {
  private readonly issuer: CertificateIssuer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: LedgerAudit,
  ) {
    this.issuer = new CertificateIssuer({
      custody,
      now: () => clock.now(),
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
  }

  async create(
    tenantId: string,
    input: { name: string; spec: KeySpec },
    actor: string,
    manager?: EntityManager,
  ): Promise<OwnerKeyEntity> {
    const custodyKeyId = `owner-key-${randomUUID()}`;
    // Generated before the transaction: custody has its own storage (and connections).
    const info = await this.custody.generateKey({
      keyId: custodyKeyId,
      spec: input.spec,
      purpose: `owner:${tenantId}`,
    });
    const store = async (m: EntityManager) => {
      const row = await m.getRepository(OwnerKeyEntity).save({
        tenantId,
        name: input.name,
        spec: input.spec,
        custodyKeyId,
        publicKeySpki: Buffer.from(info.publicKeySpki),
        publicKeySha256: spkiSha256(info.publicKeySpki),
        retiredAt: null,
      });
      await this.audit.record(m, {
        tenantId,
        eventType: 'owner-key.created',
        subject: `owner-key:${row.id}`,
        actor,
        data: { name: row.name, spec: row.spec, publicKeySha256: row.publicKeySha256 },
      });
      return row;
    };
    try {
      return manager ? await store(manager) : await this.dataSource.transaction(store);
    } catch (err) {
      await this.custody.destroyKey(custodyKeyId).catch(() => undefined);
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw problem(
          409,
          'owner-key-name-taken',
          'Name taken',
          `the tenant already has an owner key named ${input.name}`,
        );
      throw err;
    }
  }

  /**
   * The tenant's own owner keys, newest first, one page: never the per-device Owner2Keys that TO2
   * made (kind device), which would otherwise grow the list by one key per onboarded device.
   */
  list(
    tenantId: string,
    options: { includeRetired: boolean; cursor?: string; limit: number },
  ): Promise<Page<OwnerKeyView>> {
    const builder = this.dataSource
      .getRepository(OwnerKeyEntity)
      .createQueryBuilder('k')
      .where('k.tenant_id = :tenantId', { tenantId })
      .andWhere("k.kind = 'tenant'");
    if (!options.includeRetired) builder.andWhere('k.retired_at IS NULL');
    return keysetPage(builder, 'k', options, ownerKeyView);
  }

  async get(
    tenantId: string,
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<OwnerKeyEntity> {
    const row = isUuid(id) ? await manager.getRepository(OwnerKeyEntity).findOneBy({ id, tenantId }) : null;
    if (!row) throw notFound('owner key', id);
    return row;
  }

  async retire(tenantId: string, id: string, actor: string): Promise<OwnerKeyEntity> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.get(tenantId, id, manager);
      if (row.retiredAt) return row;
      row.retiredAt = this.clock.now();
      await manager.getRepository(OwnerKeyEntity).update({ id: row.id }, { retiredAt: row.retiredAt });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'owner-key.retired',
        subject: `owner-key:${row.id}`,
        actor,
        data: { publicKeySha256: row.publicKeySha256 },
      });
      return row;
    });
  }

  publicKey(row: OwnerKeyEntity): KeyObject {
    return createPublicKey({ key: row.publicKeySpki, format: 'der', type: 'spki' });
  }

  /** A self-signed certificate for the key (e.g. to be named as an X5CHAIN next owner). */
  async certificate(row: OwnerKeyEntity): Promise<Uint8Array> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneByOrFail({ id: row.tenantId });
    const { certificate } = await this.issuer.createRootCa({
      keyId: row.custodyKeyId,
      subject: { organization: tenant.name, commonName: `${tenant.slug} owner key ${row.name}`.slice(0, 64) },
      validityDays: 10 * 365,
    });
    return certificate;
  }

  /**
   * The signer for the current owner key of a voucher held by `tenantId`: the tenant's key with
   * that SPKI hash, not retired, signing with an algorithm the voucher's key type allows.
   */
  async signerFor(
    tenantId: string,
    ownerKeySha256: string,
    manufacturerKey: FdoPublicKey,
  ): Promise<OwnerKeySigner> {
    const key = await this.dataSource
      .getRepository(OwnerKeyEntity)
      .findOneBy({ tenantId, publicKeySha256: ownerKeySha256 });
    if (!key)
      throw problem(
        409,
        'owner-key-missing',
        'No signing key',
        "the voucher's current owner key is not one of this tenant's owner keys",
      );
    if (key.retiredAt)
      throw problem(
        409,
        'owner-key-retired',
        'Owner key retired',
        `owner key ${key.id} is retired and signs nothing new`,
      );
    const spec = key.spec as KeySpec;
    const allowed = sigAlgsForPkType(manufacturerKey.type);
    const alg = allowed.includes(defaultSigAlgForSpec(spec))
      ? defaultSigAlgForSpec(spec)
      : allowed.find((candidate) => sigAlgFitsKeySpec(candidate, spec));
    if (alg === undefined)
      throw problem(
        409,
        'owner-key-mismatch',
        'Key type mismatch',
        `a ${spec} key cannot sign for this voucher's key type`,
      );
    return { key, signer: await this.custody.signer(key.custodyKeyId, alg) };
  }

  /**
   * The key of `tenantId` a voucher is extended to: `ownerKeyId` when given, else the tenant's
   * oldest active key of the voucher's key type and size (every key along a voucher must match the
   * manufacturer key's). 422 when there is none.
   */
  async recipientKey(
    tenantId: string,
    manufacturerKey: FdoPublicKey,
    ownerKeyId: string | undefined,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<OwnerKeyEntity> {
    const spec = keySpecOf(manufacturerKey.key);
    const repository = manager.getRepository(OwnerKeyEntity);
    const key = ownerKeyId
      ? isUuid(ownerKeyId)
        ? await repository.findOneBy({ id: ownerKeyId, tenantId, retiredAt: IsNull() })
        : null
      : await repository.findOne({
          where: { tenantId, spec: spec ?? 'none', retiredAt: IsNull() },
          order: { createdAt: 'ASC', id: 'ASC' },
        });
    if (!key)
      throw problem(
        422,
        'no-recipient-key',
        'No owner key for this voucher',
        ownerKeyId
          ? `the recipient has no active owner key ${ownerKeyId}`
          : `the recipient has no active ${spec ?? 'matching'} owner key (vouchers keep the manufacturer key's type)`,
      );
    if (key.spec !== spec)
      throw problem(
        422,
        'owner-key-mismatch',
        'Key type mismatch',
        `this voucher needs a ${spec ?? 'matching'} owner key, not ${key.spec}`,
      );
    return key;
  }
}
