import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  OwnerCaStore,
  OwnerCaTenantError,
  type StoredBootImage,
  type StoredConfigurationHandling,
  SztpDeviceEntity,
  SztpOnboardingProfileEntity,
  SztpOwnerEntity,
  SztpProgressEventEntity,
  TenantEntity,
} from '@ztp/persistence';
import { CertificateIssuer, createCsr, type KeyCustody, parseCsr } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { b64, notFound, sztpProblem } from './sztp-http';
import { SztpAudit } from './sztp-audit';

const isUniqueViolation = (err: unknown) =>
  err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505';

export interface BootstrapServerInput {
  address: string;
  port?: number | undefined;
  trustAnchors: Uint8Array[];
}

export interface ProfileInput {
  name: string;
  isDefault: boolean;
  bootImage: StoredBootImage | null;
  preConfigurationScript: Buffer | null;
  configuration: Buffer | null;
  configurationHandling: StoredConfigurationHandling | null;
  postConfigurationScript: Buffer | null;
  issueLdevid: boolean;
}

const OWNER_CERTIFICATE_DAYS = 825;

/**
 * The owner's side of SZTP: its owner identity (the owner CA shared with FDO operational
 * certificates, which vouchers pin and which issues LDevIDs, and an owner certificate signing
 * conveyed information), its bootstrap servers, its onboarding profiles, and the devices it holds
 * with their bootstrapping logs.
 */
@Injectable()
export class SztpOwnerService {
  private readonly issuer: CertificateIssuer;
  private readonly ownerCas: OwnerCaStore;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    @Inject(CLOCK) clock: Clock,
    private readonly audit: SztpAudit,
  ) {
    this.issuer = new CertificateIssuer({
      custody,
      now: () => clock.now(),
      randomBytes: (size) => new Uint8Array(randomBytes(size)),
    });
    this.ownerCas = new OwnerCaStore(dataSource, custody, () => clock.now());
  }

  async setUp(
    tenantId: string,
    input: { ldevidValidityDays: number },
    actor: string,
  ): Promise<SztpOwnerEntity> {
    if (await this.dataSource.getRepository(SztpOwnerEntity).findOneBy({ tenantId })) {
      throw sztpProblem(
        409,
        'owner-exists',
        'SZTP owner identity exists',
        'this tenant already has its SZTP owner identity',
      );
    }
    let ca;
    try {
      ca = (await this.ownerCas.ensure(tenantId)).ca;
    } catch (err) {
      if (err instanceof OwnerCaTenantError) {
        throw sztpProblem(
          409,
          'not-an-owner',
          'Not an owner',
          'only owner tenants have an SZTP owner identity',
        );
      }
      throw err;
    }
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneByOrFail({ id: tenantId });
    const signingKeyId = `sztp-owner:${tenantId}:${randomBytes(6).toString('hex')}`;
    await this.custody.generateKey({ keyId: signingKeyId, spec: 'P-256', purpose: `sztp-owner:${tenantId}` });
    const commonName = `${tenant.name} SZTP owner`.slice(0, 64);
    const csr = await parseCsr(
      await createCsr({ signer: await this.custody.signer(signingKeyId), subject: { commonName } }),
    );
    // device-identity is the profile of a plain signing leaf: digitalSignature, no EKU (so that
    // `openssl cms -verify` accepts it for S/MIME-style signatures too).
    const signingCertificate = await this.issuer.issueFromCsr(
      { keyId: ca.custodyKeyId, certificate: ca.certificate },
      csr,
      {
        kind: 'device-identity',
        deviceSerial: commonName,
        organization: tenant.name.slice(0, 64),
        validityDays: OWNER_CERTIFICATE_DAYS,
      },
    );
    try {
      return await this.dataSource.transaction(async (manager) => {
        // insert, not save: save() on an existing primary key is an UPDATE (a concurrent set-up
        // overwrote the first one's signing key, and answered a 500).
        const repository = manager.getRepository(SztpOwnerEntity);
        await repository.insert({
          tenantId,
          caKeyId: ca.custodyKeyId,
          caCertificate: ca.certificate,
          signingKeyId,
          signingCertificate: Buffer.from(signingCertificate),
          bootstrapServers: [],
          ldevidValidityDays: input.ldevidValidityDays,
        });
        const row = await repository.findOneByOrFail({ tenantId });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'sztp.owner-identity.created',
          subject: `tenant:${tenantId}`,
          actor,
          data: { ownerCa: ca.subject, ownerCertificate: commonName },
        });
        return row;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.custody.destroyKey(signingKeyId);
      throw sztpProblem(
        409,
        'owner-exists',
        'SZTP owner identity exists',
        'this tenant already has its SZTP owner identity',
      );
    }
  }

  async owner(tenantId: string): Promise<SztpOwnerEntity> {
    const row = await this.dataSource.getRepository(SztpOwnerEntity).findOneBy({ tenantId });
    if (row === null) {
      throw sztpProblem(
        404,
        'owner-not-set-up',
        'No SZTP owner identity',
        'POST /v1/sztp/owner sets it up first',
      );
    }
    return row;
  }

  async setBootstrapServers(
    tenantId: string,
    servers: BootstrapServerInput[],
    actor: string,
  ): Promise<SztpOwnerEntity> {
    await this.owner(tenantId);
    const addresses = new Set(servers.map((s) => s.address));
    if (addresses.size !== servers.length) {
      throw sztpProblem(
        400,
        'duplicate-bootstrap-server',
        'Duplicate bootstrap server',
        'each address may appear once',
      );
    }
    return this.dataSource.transaction(async (manager) => {
      await manager.getRepository(SztpOwnerEntity).update(
        { tenantId },
        {
          bootstrapServers: servers.map((server) => ({
            address: server.address,
            ...(server.port !== undefined ? { port: server.port } : {}),
            ...(server.trustAnchors.length > 0 ? { trustAnchors: server.trustAnchors.map(b64) } : {}),
          })),
        },
      );
      await this.audit.record(manager, {
        tenantId,
        eventType: 'sztp.bootstrap-servers.set',
        subject: `tenant:${tenantId}`,
        actor,
        data: { addresses: servers.map((s) => `${s.address}:${s.port ?? 443}`) },
      });
      return manager.getRepository(SztpOwnerEntity).findOneByOrFail({ tenantId });
    });
  }

  async createProfile(tenantId: string, input: ProfileInput): Promise<SztpOnboardingProfileEntity> {
    checkProfile(input);
    const profiles = this.dataSource.getRepository(SztpOnboardingProfileEntity);
    if (await profiles.findOneBy({ tenantId, name: input.name })) {
      throw sztpProblem(409, 'profile-exists', 'Profile exists', `a profile named "${input.name}" exists`);
    }
    return this.dataSource.transaction(async (manager) => {
      if (input.isDefault) await clearDefault(manager, tenantId);
      return manager.getRepository(SztpOnboardingProfileEntity).save({ tenantId, ...input });
    });
  }

  async replaceProfile(
    tenantId: string,
    id: string,
    input: ProfileInput,
  ): Promise<SztpOnboardingProfileEntity> {
    checkProfile(input);
    await this.profile(tenantId, id);
    return this.dataSource.transaction(async (manager) => {
      if (input.isDefault) await clearDefault(manager, tenantId);
      await manager.getRepository(SztpOnboardingProfileEntity).update({ id, tenantId }, input);
      return manager.getRepository(SztpOnboardingProfileEntity).findOneByOrFail({ id });
    });
  }

  listProfiles(tenantId: string): Promise<SztpOnboardingProfileEntity[]> {
    return this.dataSource
      .getRepository(SztpOnboardingProfileEntity)
      .find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async profile(tenantId: string, id: string): Promise<SztpOnboardingProfileEntity> {
    const row = await this.dataSource.getRepository(SztpOnboardingProfileEntity).findOneBy({ id, tenantId });
    if (row === null) throw notFound('onboarding profile', id);
    return row;
  }

  async deleteProfile(tenantId: string, id: string): Promise<void> {
    await this.profile(tenantId, id);
    await this.dataSource.getRepository(SztpOnboardingProfileEntity).delete({ id, tenantId });
  }

  /** Devices the tenant holds an active voucher for. */
  heldDevices(tenantId: string): Promise<SztpDeviceEntity[]> {
    return this.dataSource
      .getRepository(SztpDeviceEntity)
      .createQueryBuilder('d')
      .innerJoin('sztp_voucher', 'v', "v.device_id = d.id AND v.status = 'active'")
      .where('v.holder_tenant_id = :tenantId', { tenantId })
      .orderBy('d.created_at', 'ASC')
      .limit(1000)
      .getMany();
  }

  async heldDevice(tenantId: string, id: string): Promise<SztpDeviceEntity> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT d.id FROM sztp_device d JOIN sztp_voucher v ON v.device_id = d.id AND v.status = 'active'
        WHERE d.id = $1 AND v.holder_tenant_id = $2`,
      [id, tenantId],
    );
    if (rows.length === 0) throw notFound('SZTP device', id);
    return this.dataSource.getRepository(SztpDeviceEntity).findOneByOrFail({ id });
  }

  async assignProfile(
    tenantId: string,
    deviceId: string,
    profileId: string | null,
  ): Promise<SztpDeviceEntity> {
    await this.heldDevice(tenantId, deviceId);
    if (profileId !== null) await this.profile(tenantId, profileId);
    await this.dataSource
      .getRepository(SztpDeviceEntity)
      .update({ id: deviceId }, { onboardingProfileId: profileId });
    return this.dataSource.getRepository(SztpDeviceEntity).findOneByOrFail({ id: deviceId });
  }

  /** The device's bootstrapping log while this tenant held it, oldest first. */
  async progress(tenantId: string, deviceId: string): Promise<SztpProgressEventEntity[]> {
    await this.heldDevice(tenantId, deviceId);
    return this.dataSource
      .getRepository(SztpProgressEventEntity)
      .find({ where: { deviceId, holderTenantId: tenantId }, order: { id: 'ASC' }, take: 1000 });
  }
}

async function clearDefault(manager: EntityManager, tenantId: string): Promise<void> {
  await manager
    .getRepository(SztpOnboardingProfileEntity)
    .update({ tenantId, isDefault: true }, { isDefault: false });
}

function checkProfile(input: ProfileInput): void {
  if ((input.configuration === null) !== (input.configurationHandling === null)) {
    throw sztpProblem(
      400,
      'invalid-profile',
      'Invalid profile',
      'configuration and configurationHandling go together',
    );
  }
  if (input.issueLdevid && input.configuration !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.configuration));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw sztpProblem(
        400,
        'invalid-profile',
        'Invalid profile',
        'issueLdevid merges an ietf-keystore entry into the configuration, so it must be a JSON object (RFC 7951)',
      );
    }
  }
}
