import { randomBytes } from 'node:crypto';
import { CertificateIssuer, type KeyCustody, type KeySpec } from '@ztp/pki';
import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';
import { OwnerCaEntity } from './owner-ca.entity';

export interface OwnerCaOptions {
  /** Key type of the CA. Default P-256. */
  spec?: KeySpec;
  /** Default "<tenant name> Device Operations CA". */
  commonName?: string;
  /** Default 3650 (ten years). */
  validityDays?: number;
  allowServerKeygen?: boolean;
  /** Runs in the transaction that records a newly created CA (e.g. its audit event). */
  onCreated?: (manager: EntityManager, ca: OwnerCaEntity) => Promise<void>;
}

/** The tenant is not an owner, or does not exist. */
export class OwnerCaTenantError extends Error {
  override readonly name = 'OwnerCaTenantError';
}

const UNIQUE_VIOLATION = '23505';

/** A fresh custody id for an owner CA key (unique per attempt, so racing creators never collide). */
const newOwnerCaKeyId = (ownerTenantId: string) =>
  `owner-ca:${ownerTenantId}:${randomBytes(6).toString('hex')}`;

/**
 * Owner certification authorities: one self-signed root per owner tenant, its key generated and
 * held by key custody. `ensure` is idempotent and safe against concurrent creation by several
 * replicas (the loser destroys its key and returns the winner's CA).
 */
export class OwnerCaStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly custody: KeyCustody,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async find(ownerTenantId: string): Promise<OwnerCaEntity | null> {
    return this.dataSource.getRepository(OwnerCaEntity).findOneBy({ ownerTenantId });
  }

  async ensure(
    ownerTenantId: string,
    options: OwnerCaOptions = {},
  ): Promise<{ ca: OwnerCaEntity; created: boolean }> {
    const existing = await this.find(ownerTenantId);
    if (existing) return { ca: existing, created: false };
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: ownerTenantId });
    if (!tenant || tenant.kind !== 'owner')
      throw new OwnerCaTenantError(`tenant ${ownerTenantId} is not an owner`);
    const keyId = newOwnerCaKeyId(ownerTenantId);
    const spec = options.spec ?? 'P-256';
    await this.custody.generateKey({ keyId, spec, purpose: `owner-ca:${ownerTenantId}` });
    const commonName = options.commonName ?? `${tenant.name} Device Operations CA`;
    const issuer = new CertificateIssuer({
      custody: this.custody,
      now: this.now,
      randomBytes: (n) => randomBytes(n),
    });
    const root = await issuer.createRootCa({
      keyId,
      subject: { organization: tenant.name, commonName },
      validityDays: options.validityDays ?? 3650,
    });
    let ca: OwnerCaEntity;
    try {
      ca = await this.dataSource.transaction(async (manager) => {
        // insert, not save: save() on an existing primary key is an UPDATE, so of two concurrent
        // creations the second overwrote the first's CA key and certificate (and answered a 500).
        const repository = manager.getRepository(OwnerCaEntity);
        await repository.insert({
          ownerTenantId,
          custodyKeyId: keyId,
          spec,
          subject: `CN=${commonName}, O=${tenant.name}`,
          certificate: Buffer.from(root.certificate),
          allowServerKeygen: options.allowServerKeygen ?? false,
        });
        const row = await repository.findOneByOrFail({ ownerTenantId });
        await options.onCreated?.(manager, row);
        return row;
      });
    } catch (err) {
      if (
        err instanceof QueryFailedError &&
        (err.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        const winner = await this.find(ownerTenantId);
        if (winner) {
          await this.custody.destroyKey(keyId);
          return { ca: winner, created: false };
        }
      }
      throw err;
    }
    return { ca, created: true };
  }

  async setServerKeygen(ownerTenantId: string, allow: boolean): Promise<OwnerCaEntity | null> {
    await this.dataSource
      .getRepository(OwnerCaEntity)
      .update({ ownerTenantId }, { allowServerKeygen: allow });
    return this.find(ownerTenantId);
  }
}
