import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import {
  AuditLog,
  MANUFACTURER_KEY_ENCODINGS,
  type ManufacturerKeyEncoding,
  ManufacturerPkiEntity,
  OwnerKeyEntity,
} from '@ztp/persistence';
import {
  CertificateIssuer,
  type DistinguishedName,
  isKeySpec,
  KEY_SPECS,
  type KeyCustody,
  type KeySpec,
} from '@ztp/pki';
import { KEY_CUSTODY } from '@ztp/platform';
import { type RandomSource } from '@ztp/protocol';
import { loadManufacturer } from '../load-manufacturer';
import { hasControlCharacters } from '../text';
import { ManufacturingError } from '../manufacturing-error';
import { RANDOM_SOURCE } from '../manufacturing.tokens';
import { manufacturerPkiView, type ManufacturerPkiView } from './manufacturer-pki-view';

export interface InitializeManufacturerPkiInput {
  tenantId: string;
  /** Who asks, for the audit log (e.g. `api-key:<id>`). */
  actor: string;
  /** Key type of the root and intermediate CAs. Default P-384. */
  caKeySpec?: KeySpec;
  /** Key type of a new voucher-signing key. Default P-256. Ignored with `voucherKeyId`. */
  voucherKeySpec?: KeySpec;
  /** Use this existing (not retired) owner key of the tenant instead of generating one. */
  voucherKeyId?: string;
  manufacturerKeyEncoding?: ManufacturerKeyEncoding;
  /** Default 7300 (20 years); capped at the intermediate CA's notAfter when issuing. */
  deviceCertValidityDays?: number;
}

const ROOT_VALIDITY_DAYS = 30 * 365;
const INTERMEDIATE_VALIDITY_DAYS = 20 * 365;
const DEFAULT_DEVICE_CERT_VALIDITY_DAYS = 20 * 365;
const UNIQUE_VIOLATION = '23505';

/**
 * Sets a manufacturer tenant up for DI: a root CA and a manufacturing intermediate CA (keys made in
 * key custody), and the voucher-signing key whose public half is the manufacturer key of every
 * voucher DI creates. Certificates, custody key ids, the owner key row and the audit event
 * `manufacturer.pki-initialized` are stored in one transaction; keys generated for a run that does
 * not commit are destroyed again. Initialising twice is refused (`pki-exists`).
 */
@Injectable()
export class InitializeManufacturerPki {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    private readonly issuer: CertificateIssuer,
    private readonly audit: AuditLog,
    @Inject(RANDOM_SOURCE) private readonly random: RandomSource,
  ) {}

  async execute(input: InitializeManufacturerPkiInput): Promise<ManufacturerPkiView> {
    const validityDays = input.deviceCertValidityDays ?? DEFAULT_DEVICE_CERT_VALIDITY_DAYS;
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 100 * 365)
      throw new ManufacturingError('invalid-request', 'deviceCertValidityDays must be 1..36500');
    for (const spec of [input.caKeySpec, input.voucherKeySpec])
      if (spec !== undefined && !isKeySpec(spec))
        throw new ManufacturingError('invalid-request', `key spec must be one of ${KEY_SPECS.join(', ')}`);
    const encoding = input.manufacturerKeyEncoding ?? 'x509';
    if (!MANUFACTURER_KEY_ENCODINGS.includes(encoding))
      throw new ManufacturingError(
        'invalid-request',
        `manufacturerKeyEncoding must be one of ${MANUFACTURER_KEY_ENCODINGS.join(', ')}`,
      );
    const tenant = await loadManufacturer(this.dataSource.manager, input.tenantId);
    if (await this.dataSource.getRepository(ManufacturerPkiEntity).existsBy({ tenantId: tenant.id }))
      throw new ManufacturingError('pki-exists', `tenant ${tenant.id} already has a manufacturer PKI`);
    const existingKey = input.voucherKeyId
      ? await this.existingVoucherKey(tenant.id, input.voucherKeyId)
      : undefined;

    const generated: string[] = [];
    const newKeyId = async (role: string, spec: KeySpec) => {
      const keyId = `mfg-${tenant.id}-${role}-${Buffer.from(this.random(6)).toString('hex')}`;
      const info = await this.custody.generateKey({
        keyId,
        spec,
        purpose: `manufacturer-${role}:${tenant.id}`,
      });
      generated.push(keyId);
      return info;
    };
    try {
      const caSpec = input.caKeySpec ?? 'P-384';
      const rootKey = await newKeyId('root-ca', caSpec);
      const root = await this.issuer.createRootCa({
        keyId: rootKey.keyId,
        subject: caName(tenant.name, 'FDO device root CA'),
        validityDays: ROOT_VALIDITY_DAYS,
        pathLength: 1,
      });
      const intermediateKey = await newKeyId('intermediate-ca', caSpec);
      const intermediate = await this.issuer.createIntermediateCa(root, {
        keyId: intermediateKey.keyId,
        subject: caName(tenant.name, 'FDO manufacturing CA'),
        validityDays: INTERMEDIATE_VALIDITY_DAYS,
      });
      const voucherKeyInfo = existingKey
        ? undefined
        : await newKeyId('voucher', input.voucherKeySpec ?? 'P-256');

      return await this.dataSource.transaction(async (manager) => {
        await loadManufacturer(manager, tenant.id, { lock: true });
        const pkis = manager.getRepository(ManufacturerPkiEntity);
        if (await pkis.existsBy({ tenantId: tenant.id }))
          throw new ManufacturingError('pki-exists', `tenant ${tenant.id} already has a manufacturer PKI`);
        const voucherKey =
          existingKey ??
          (await manager.getRepository(OwnerKeyEntity).save({
            tenantId: tenant.id,
            name: `manufacturer-voucher-${voucherKeyInfo!.keyId.slice(-12)}`,
            spec: voucherKeyInfo!.spec,
            custodyKeyId: voucherKeyInfo!.keyId,
            publicKeySpki: Buffer.from(voucherKeyInfo!.publicKeySpki),
            publicKeySha256: createHash('sha256').update(voucherKeyInfo!.publicKeySpki).digest('hex'),
            retiredAt: null,
          }));
        // insert, never save: save() would overwrite a PKI a concurrent request has just created.
        await pkis.insert({
          tenantId: tenant.id,
          rootCaKeyId: root.keyId,
          rootCaCertificate: Buffer.from(root.certificate),
          intermediateCaKeyId: intermediate.keyId,
          intermediateCaCertificate: Buffer.from(intermediate.certificate),
          voucherKeyId: voucherKey.id,
          manufacturerKeyEncoding: encoding,
          deviceCertValidityDays: validityDays,
        });
        const pki = await pkis.findOneByOrFail({ tenantId: tenant.id });
        const view = manufacturerPkiView(pki, voucherKey);
        await this.audit.append(manager, {
          tenantId: tenant.id,
          eventType: 'manufacturer.pki-initialized',
          subject: `tenant:${tenant.id}`,
          actor: input.actor,
          data: {
            caKeySpec: caSpec,
            voucherKeyId: voucherKey.id,
            voucherKeySpec: voucherKey.spec,
            voucherKeySha256: voucherKey.publicKeySha256,
            manufacturerKeyEncoding: pki.manufacturerKeyEncoding,
          },
        });
        return view;
      });
    } catch (err) {
      await Promise.allSettled(generated.map((keyId) => this.custody.destroyKey(keyId)));
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw new ManufacturingError('pki-exists', `tenant ${tenant.id} already has a manufacturer PKI`);
      throw err;
    }
  }

  private async existingVoucherKey(tenantId: string, ownerKeyId: string): Promise<OwnerKeyEntity> {
    const key = await findOwnerKey(this.dataSource.manager, tenantId, ownerKeyId);
    if (!key || key.retiredAt)
      throw new ManufacturingError(
        'invalid-request',
        `voucherKeyId ${ownerKeyId} is not a live owner key of the tenant`,
      );
    return key;
  }
}

async function findOwnerKey(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<OwnerKeyEntity | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  return manager.getRepository(OwnerKeyEntity).findOneBy({ id, tenantId });
}

/** O = the tenant's name, CN = what the CA is; both cut to the 64 characters X.520 allows. */
function caName(organization: string, role: string): DistinguishedName {
  const clean = [...organization]
    .map((char) => (hasControlCharacters(char) ? ' ' : char))
    .join('')
    .trim()
    .slice(0, 64);
  return { ...(clean ? { organization: clean } : {}), commonName: `${clean} ${role}`.trim().slice(0, 64) };
}
