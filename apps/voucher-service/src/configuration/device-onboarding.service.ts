import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  ConfigBundleEntity,
  type DeliveryStatus,
  DeviceDevmodEntity,
  DeviceEntity,
  DeviceUploadEntity,
  IssuedCertificateEntity,
} from '@ztp/persistence';
import { derToPem } from '@ztp/pki';
import { DataSource } from 'typeorm';
import { OwnerTenants } from './owner-tenants';
import { CLOCK, type Clock, isUuid } from '@ztp/platform';
import { keysetPage, type Page } from '../vouchers/http/cursor';

export interface BundleView {
  deviceId: string;
  guid: string;
  serialNumber: string | null;
  deliveryStatus: DeliveryStatus;
  statusDetail: string | null;
  planId: string | null;
  planRevision: number | null;
  revision: number;
  stale: boolean;
  steps: { module: string; description: string }[];
  results: { module: string; description: string; ok: boolean; detail?: string }[] | null;
  renderedAt: string;
  deliveryStartedAt: string | null;
  deliveredAt: string | null;
}

export interface DeviceOnboardingView {
  device: { id: string; guid: string; originalGuid: string; serialNumber: string | null; lifecycle: string };
  bundle: BundleView | null;
  devmod: Record<string, unknown> | null;
  uploads: { id: string; name: string; size: number; sha384: string; receivedAt: string }[];
  /** Every operational certificate the owner's CA issued to the device, oldest first. */
  certificates: CertificateView[];
  /**
   * The device's current certificate (the newest neither revoked nor expired) and the chain of
   * certificates it renewed, newest first; null when it has none in force.
   */
  currentCertificate: (CertificateView & { predecessors: CertificateView[] }) | null;
}

/** current: in force; superseded: revoked by its renewal; revoked: for another reason; expired: past notAfter. */
export type CertificateState = 'current' | 'superseded' | 'revoked' | 'expired';

export interface CertificateView {
  id: string;
  serialNumber: string;
  subject: string;
  kind: string;
  state: CertificateState;
  notAfter: string;
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
  /** The certificate this one renewed. */
  replacesCertificateId: string | null;
  certificatePem: string;
}

function certificateView(certificate: IssuedCertificateEntity, now: Date): CertificateView {
  const state: CertificateState = certificate.revokedAt
    ? certificate.revocationReason === 'superseded'
      ? 'superseded'
      : 'revoked'
    : certificate.notAfter.getTime() <= now.getTime()
      ? 'expired'
      : 'current';
  return {
    id: certificate.id,
    serialNumber: certificate.serialNumber,
    subject: certificate.subject,
    kind: certificate.kind,
    state,
    notAfter: certificate.notAfter.toISOString(),
    issuedAt: certificate.issuedAt.toISOString(),
    revokedAt: certificate.revokedAt?.toISOString() ?? null,
    revocationReason: certificate.revocationReason,
    replacesCertificateId: certificate.replacesCertificateId,
    certificatePem: derToPem(certificate.certificate),
  };
}

/** The newest current certificate and its predecessors by `replacesCertificateId`, newest first. */
function currentWithPredecessors(views: CertificateView[]): DeviceOnboardingView['currentCertificate'] {
  const current = [...views].reverse().find((view) => view.state === 'current');
  if (!current) return null;
  const byId = new Map(views.map((view) => [view.id, view]));
  const predecessors: CertificateView[] = [];
  for (let id = current.replacesCertificateId; id && byId.has(id) && predecessors.length < views.length;) {
    const predecessor = byId.get(id)!;
    predecessors.push(predecessor);
    id = predecessor.replacesCertificateId;
  }
  return { ...current, predecessors };
}

const bundleView = (bundle: ConfigBundleEntity, device: DeviceEntity): BundleView => ({
  deviceId: bundle.deviceId,
  guid: device.guid,
  serialNumber: device.serialNumber,
  deliveryStatus: bundle.deliveryStatus,
  statusDetail: bundle.statusDetail,
  planId: bundle.planId,
  planRevision: bundle.planRevision,
  revision: bundle.revision,
  stale: bundle.stale,
  steps: bundle.summary,
  results: bundle.results,
  renderedAt: bundle.renderedAt.toISOString(),
  deliveryStartedAt: bundle.deliveryStartedAt?.toISOString() ?? null,
  deliveredAt: bundle.deliveredAt?.toISOString() ?? null,
});

/** What an owner sees of its devices' onboarding: bundles and their delivery, devmod, uploads, certificates. */
@Injectable()
export class DeviceOnboardingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The owner's bundles, newest render first, one page. */
  async bundles(
    tenantId: string,
    status: DeliveryStatus | undefined,
    page: { cursor?: string; limit: number },
  ): Promise<Page<BundleView>> {
    await this.owners.require(tenantId);
    const builder = this.dataSource
      .getRepository(ConfigBundleEntity)
      .createQueryBuilder('b')
      .innerJoinAndMapOne('b.device', DeviceEntity, 'd', 'd.id = b.device_id')
      .where('b.owner_tenant_id = :tenantId', { tenantId })
      .andWhere(status ? 'b.delivery_status = :status' : 'TRUE', { status });
    return keysetPage(
      builder,
      'b',
      page,
      (row) => bundleView(row, (row as ConfigBundleEntity & { device: DeviceEntity }).device),
      { time: 'rendered_at', id: 'device_id', idOf: (row) => row.deviceId },
    );
  }

  /**
   * A device by its current or original GUID (or its id), if the owner holds its voucher or its CA
   * issued the device a certificate.
   */
  async device(tenantId: string, reference: string): Promise<DeviceOnboardingView> {
    await this.owners.require(tenantId);
    const guid = reference.replace(/-/g, '').toLowerCase();
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT d.id FROM device d
        WHERE (d.guid = $2 OR d.original_guid = $2 OR ($3::boolean AND d.id::text = $4))
          AND (EXISTS (SELECT 1 FROM voucher v WHERE v.device_id = d.id AND v.holder_tenant_id = $1)
            OR EXISTS (SELECT 1 FROM issued_certificate c WHERE c.device_id = d.id AND c.owner_tenant_id = $1))
        LIMIT 1`,
      [tenantId, guid, isUuid(reference), reference],
    );
    if (!rows[0]) throw notFound('device', reference);
    const deviceId = rows[0].id;
    const [device, bundle, devmod, uploads, certificates] = await Promise.all([
      this.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId }),
      this.dataSource.getRepository(ConfigBundleEntity).findOneBy({ deviceId, ownerTenantId: tenantId }),
      this.dataSource.getRepository(DeviceDevmodEntity).findOneBy({ deviceId, ownerTenantId: tenantId }),
      this.dataSource.getRepository(DeviceUploadEntity).find({
        select: { id: true, name: true, size: true, sha384: true, receivedAt: true },
        where: { deviceId, ownerTenantId: tenantId },
        order: { receivedAt: 'ASC' },
      }),
      this.dataSource
        .getRepository(IssuedCertificateEntity)
        .find({ where: { deviceId, ownerTenantId: tenantId }, order: { issuedAt: 'ASC' } }),
    ]);
    const now = this.clock.now();
    const views = certificates.map((certificate) => certificateView(certificate, now));
    return {
      device: {
        id: device.id,
        guid: device.guid,
        originalGuid: device.originalGuid,
        serialNumber: device.serialNumber,
        lifecycle: device.lifecycle,
      },
      bundle: bundle ? bundleView(bundle, device) : null,
      devmod: devmod?.devmod ?? null,
      uploads: uploads.map((upload) => ({
        id: upload.id,
        name: upload.name,
        size: upload.size,
        sha384: Buffer.from(upload.sha384).toString('hex'),
        receivedAt: upload.receivedAt.toISOString(),
      })),
      certificates: views,
      currentCertificate: currentWithPredecessors(views),
    };
  }

  async uploadContent(tenantId: string, reference: string, uploadId: string): Promise<DeviceUploadEntity> {
    const { device } = await this.device(tenantId, reference);
    const upload = isUuid(uploadId)
      ? await this.dataSource
          .getRepository(DeviceUploadEntity)
          .findOneBy({ id: uploadId, deviceId: device.id, ownerTenantId: tenantId })
      : null;
    if (!upload) throw notFound('upload', uploadId);
    return upload;
  }
}
