import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  compileSerialNumberPattern,
  hashActivationCode,
  SerialNumberRuleError,
  type SerialNumberSource,
  SztpDeviceEntity,
  SztpDeviceTypeEntity,
  SztpMasaEntity,
  type SztpOutputProfile,
  TenantEntity,
} from '@ztp/persistence';
import { CertificateIssuer, createCsr, type KeyCustody, parseCsr, PkiError } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { DataSource, QueryFailedError } from 'typeorm';
import { b64, notFound, sztpProblem } from './sztp-http';
import { SztpAudit } from './sztp-audit';

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (err: unknown) =>
  err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION;

export interface DeviceTypeInput {
  name: string;
  trustAnchors: Uint8Array[];
  serialNumber: { source: SerialNumberSource; pattern?: string | undefined };
  outputProfile: SztpOutputProfile;
  activationCodeFallback: boolean;
}

export type MasaInput =
  | { name: string; kind: 'generate'; validityDays: number }
  | {
      name: string;
      kind: 'external';
      certificate: Uint8Array;
      chain: Uint8Array[];
      trustAnchors: Uint8Array[];
    };

/**
 * The manufacturer's side of SZTP: device types (IDevID trust anchors, serial rule, output
 * profile), registered devices (with optional activation codes), and MASAs: generated ones sign
 * vouchers with a key in custody, external ones only verify vouchers being imported.
 */
@Injectable()
export class SztpManufacturerService {
  private readonly issuer: CertificateIssuer;

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
  }

  async createDeviceType(
    tenantId: string,
    input: DeviceTypeInput,
    actor: string,
  ): Promise<SztpDeviceTypeEntity> {
    try {
      compileSerialNumberPattern(input.serialNumber.pattern);
    } catch (err) {
      if (err instanceof SerialNumberRuleError)
        throw sztpProblem(400, 'invalid-serial-rule', 'Invalid serial number rule', err.message);
      throw err;
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await manager.getRepository(SztpDeviceTypeEntity).save({
          tenantId,
          name: input.name,
          trustAnchors: input.trustAnchors.map(b64),
          serialNumberSource: input.serialNumber.source,
          serialNumberPattern: input.serialNumber.pattern ?? null,
          outputProfile: input.outputProfile,
          activationCodeFallback: input.activationCodeFallback,
        });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'sztp.device-type.created',
          subject: `sztp-device-type:${row.id}`,
          actor,
          data: {
            name: input.name,
            trustAnchors: input.trustAnchors.length,
            outputProfile: input.outputProfile,
          },
        });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw sztpProblem(
          409,
          'device-type-exists',
          'Device type exists',
          `a device type named "${input.name}" exists`,
        );
      throw err;
    }
  }

  listDeviceTypes(tenantId: string): Promise<SztpDeviceTypeEntity[]> {
    return this.dataSource
      .getRepository(SztpDeviceTypeEntity)
      .find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async deviceType(tenantId: string, id: string): Promise<SztpDeviceTypeEntity> {
    const row = await this.dataSource.getRepository(SztpDeviceTypeEntity).findOneBy({ id, tenantId });
    if (row === null) throw notFound('device type', id);
    return row;
  }

  async registerDevice(
    tenantId: string,
    input: { deviceTypeId: string; serialNumber: string; activationCode?: string | undefined },
    actor: string,
  ): Promise<SztpDeviceEntity> {
    await this.deviceType(tenantId, input.deviceTypeId);
    const activationCodeHash = input.activationCode ? await hashActivationCode(input.activationCode) : null;
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await manager.getRepository(SztpDeviceEntity).save({
          deviceTypeId: input.deviceTypeId,
          serialNumber: input.serialNumber,
          activationCodeHash,
          bootstrapState: 'pending',
        });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'sztp.device.registered',
          subject: `sztp-device:${row.id}`,
          actor,
          data: {
            serialNumber: input.serialNumber,
            deviceTypeId: input.deviceTypeId,
            activationCode: activationCodeHash !== null,
          },
        });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw sztpProblem(
          409,
          'device-exists',
          'Device exists',
          `serial number ${input.serialNumber} is registered for this device type`,
        );
      }
      throw err;
    }
  }

  listDevices(tenantId: string, deviceTypeId?: string): Promise<SztpDeviceEntity[]> {
    const query = this.dataSource
      .getRepository(SztpDeviceEntity)
      .createQueryBuilder('d')
      .innerJoin(SztpDeviceTypeEntity, 't', 't.id = d.device_type_id')
      .where('t.tenant_id = :tenantId', { tenantId })
      .orderBy('d.created_at', 'ASC')
      .limit(1000);
    if (deviceTypeId) query.andWhere('d.device_type_id = :deviceTypeId', { deviceTypeId });
    return query.getMany();
  }

  async createMasa(tenantId: string, input: MasaInput, actor: string): Promise<SztpMasaEntity> {
    const existing = await this.dataSource
      .getRepository(SztpMasaEntity)
      .findOneBy({ tenantId, name: input.name });
    if (existing) throw sztpProblem(409, 'masa-exists', 'MASA exists', `a MASA named "${input.name}" exists`);
    let material;
    try {
      material =
        input.kind === 'generate'
          ? await this.generateMasa(tenantId, input)
          : { ...input, custodyKeyId: null };
    } catch (err) {
      // What the certificates cannot carry (a name the X.509 profile refuses) is the client's mistake.
      if (err instanceof PkiError) throw sztpProblem(400, 'invalid-masa', 'Invalid MASA', err.message);
      throw err;
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await manager.getRepository(SztpMasaEntity).save({
          tenantId,
          name: input.name,
          certificate: Buffer.from(material.certificate),
          chain: material.chain.map(b64),
          trustAnchors: material.trustAnchors.map(b64),
          custodyKeyId: material.custodyKeyId,
        });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'sztp.masa.created',
          subject: `sztp-masa:${row.id}`,
          actor,
          data: { name: input.name, kind: input.kind },
        });
        return row;
      });
    } catch (err) {
      // Created concurrently under the same name: the check above saw none, the unique index did.
      if (!isUniqueViolation(err)) throw err;
      if (material.custodyKeyId) await this.custody.destroyKey(material.custodyKeyId);
      throw sztpProblem(409, 'masa-exists', 'MASA exists', `a MASA named "${input.name}" exists`);
    }
  }

  listMasas(tenantId: string): Promise<SztpMasaEntity[]> {
    return this.dataSource
      .getRepository(SztpMasaEntity)
      .find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async masa(tenantId: string, id: string): Promise<SztpMasaEntity> {
    const row = await this.dataSource.getRepository(SztpMasaEntity).findOneBy({ id, tenantId });
    if (row === null) throw notFound('MASA', id);
    return row;
  }

  /** A MASA CA (the devices' voucher trust anchor) and a MASA signing certificate it issues, keys in custody. */
  private async generateMasa(tenantId: string, input: { name: string; validityDays: number }) {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneByOrFail({ id: tenantId });
    const suffix = randomBytes(6).toString('hex');
    const caKeyId = `sztp-masa-ca:${tenantId}:${suffix}`;
    const signingKeyId = `sztp-masa:${tenantId}:${suffix}`;
    await this.custody.generateKey({ keyId: caKeyId, spec: 'P-256', purpose: `sztp-masa-ca:${tenantId}` });
    await this.custody.generateKey({ keyId: signingKeyId, spec: 'P-256', purpose: `sztp-masa:${tenantId}` });
    const organization = tenant.name.slice(0, 64);
    const ca = await this.issuer.createRootCa({
      keyId: caKeyId,
      subject: { organization, commonName: `${input.name} MASA CA`.slice(0, 64) },
      validityDays: input.validityDays,
    });
    const csr = await parseCsr(
      await createCsr({
        signer: await this.custody.signer(signingKeyId),
        subject: { commonName: input.name.slice(0, 64) },
      }),
    );
    // The device-identity profile is exactly a signing leaf: digitalSignature, no EKU, CN as given.
    const certificate = await this.issuer.issueFromCsr(ca, csr, {
      kind: 'device-identity',
      deviceSerial: `${input.name} MASA`.slice(0, 64),
      organization,
      validityDays: input.validityDays,
    });
    return {
      certificate,
      chain: [] as Uint8Array[],
      trustAnchors: [ca.certificate],
      custodyKeyId: signingKeyId,
    };
  }
}
