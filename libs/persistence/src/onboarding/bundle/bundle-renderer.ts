import { type DataSource, type EntityManager } from 'typeorm';
import { ConfigBundleEntity } from '../config-bundle.entity';
import { ConfigPlanEntity } from '../config-plan.entity';
import { DeviceGroupEntity } from '../device-group.entity';
import { encodeOwnerProgram } from './owner-program';
import { type PlanTarget, resolvePlan } from './plan-resolver';
import { BundleRenderError, renderProgram } from './render-program';

/** A device whose bundle is to be rendered, as its owner holds it. */
export interface BundleTarget extends PlanTarget {
  deviceId: string;
  ownerTenantId: string;
}

export interface RenderReport {
  /** Bundles written (new or changed plan). */
  rendered: number;
  /** Bundles already up to date. */
  unchanged: number;
  /** Bundles left alone because a device is receiving one right now (marked stale instead). */
  deferred: number;
}

interface OwnerConfiguration {
  plans: ConfigPlanEntity[];
  groups: Map<string, DeviceGroupEntity>;
}

const TARGET_COLUMNS = `d.id AS device_id, v.holder_tenant_id AS owner_tenant_id, d.guid, d.original_guid,
  d.serial_number, d.device_info`;

interface TargetRow {
  device_id: string;
  owner_tenant_id: string;
  guid: string;
  original_guid: string;
  serial_number: string | null;
  device_info: string;
}

const toTarget = (row: TargetRow): BundleTarget => ({
  deviceId: row.device_id,
  ownerTenantId: row.owner_tenant_id,
  guid: row.guid,
  originalGuid: row.original_guid,
  serialNumber: row.serial_number,
  deviceInfo: row.device_info,
});

/**
 * Renders configuration bundles: resolves each device's plan and stores the owner program it will
 * receive in TO2, with delivery status `queued`. Run by the onboarding.render-bundles job when plans
 * change or vouchers arrive, and inline by owner-onboarding for a device that arrives first.
 */
export class BundleRenderer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every device the owner holds an active voucher for and that is not onboarded yet. */
  async renderTenant(ownerTenantId: string): Promise<RenderReport> {
    const rows: TargetRow[] = await this.dataSource.query(
      `SELECT ${TARGET_COLUMNS}
         FROM voucher v JOIN device d ON d.id = v.device_id
        WHERE v.holder_tenant_id = $1 AND v.status = 'active' AND d.lifecycle <> 'onboarded'`,
      [ownerTenantId],
    );
    // Onboarded devices keep what they received; should one run TO2 again it gets a fresh render.
    await this.dataSource.query(
      `UPDATE config_bundle b SET stale = true FROM device d
        WHERE b.device_id = d.id AND b.owner_tenant_id = $1 AND d.lifecycle = 'onboarded'`,
      [ownerTenantId],
    );
    return this.renderTargets(rows.map(toTarget), true);
  }

  /**
   * Devices held by owners with no bundle yet, or a stale one (e.g. a voucher just arrived or was
   * transferred): the periodic sweep. Returns how many were rendered.
   */
  async renderPending(limit = 500): Promise<RenderReport> {
    const rows: TargetRow[] = await this.dataSource.query(
      `SELECT ${TARGET_COLUMNS}
         FROM voucher v
         JOIN tenant t ON t.id = v.holder_tenant_id AND t.kind = 'owner'
         JOIN device d ON d.id = v.device_id
         LEFT JOIN config_bundle b ON b.device_id = d.id
        WHERE v.status = 'active' AND d.lifecycle <> 'onboarded'
          AND (b.device_id IS NULL OR b.stale OR b.owner_tenant_id <> v.holder_tenant_id)
        LIMIT $1`,
      [limit],
    );
    return this.renderTargets(rows.map(toTarget), false);
  }

  /** One device's bundle, now (owner-onboarding, when the device arrives before the job ran). */
  async renderDevice(target: BundleTarget): Promise<void> {
    await this.renderTargets([target], false);
  }

  private async renderTargets(targets: BundleTarget[], skipUnchanged: boolean): Promise<RenderReport> {
    const report: RenderReport = { rendered: 0, unchanged: 0, deferred: 0 };
    const configurations = new Map<string, OwnerConfiguration>();
    for (const target of targets) {
      let configuration = configurations.get(target.ownerTenantId);
      if (!configuration) {
        configuration = await this.loadConfiguration(target.ownerTenantId);
        configurations.set(target.ownerTenantId, configuration);
      }
      const outcome = await this.dataSource.transaction((manager) =>
        this.renderOne(manager, target, configuration, skipUnchanged),
      );
      report[outcome]++;
    }
    return report;
  }

  private async loadConfiguration(ownerTenantId: string): Promise<OwnerConfiguration> {
    const [plans, groups] = await Promise.all([
      this.dataSource.getRepository(ConfigPlanEntity).findBy({ ownerTenantId }),
      this.dataSource.getRepository(DeviceGroupEntity).findBy({ ownerTenantId }),
    ]);
    return { plans, groups: new Map(groups.map((group) => [group.id, group])) };
  }

  private async renderOne(
    manager: EntityManager,
    target: BundleTarget,
    configuration: OwnerConfiguration,
    skipUnchanged: boolean,
  ): Promise<keyof RenderReport> {
    const existing = await manager.getRepository(ConfigBundleEntity).findOne({
      where: { deviceId: target.deviceId },
      lock: { mode: 'pessimistic_write' },
    });
    const plan = resolvePlan(configuration.plans, configuration.groups, target);
    if (
      skipUnchanged &&
      existing &&
      !existing.stale &&
      existing.ownerTenantId === target.ownerTenantId &&
      existing.planId === (plan?.id ?? null) &&
      existing.planRevision === (plan?.revision ?? null)
    )
      return 'unchanged';
    if (existing?.deliveryStatus === 'delivering') {
      await manager.getRepository(ConfigBundleEntity).update({ deviceId: target.deviceId }, { stale: true });
      return 'deferred';
    }
    const now = this.now();
    const fields: Omit<ConfigBundleEntity, 'deviceId' | 'revision'> = {
      ownerTenantId: target.ownerTenantId,
      planId: plan?.id ?? null,
      planRevision: plan?.revision ?? null,
      stale: false,
      steps: Buffer.alloc(0),
      summary: [],
      deliveryStatus: 'queued',
      statusDetail: null,
      results: null,
      renderedAt: now,
      deliveryStartedAt: null,
      deliveredAt: null,
    };
    try {
      const { program, summary } = plan
        ? await renderProgram(manager, target.ownerTenantId, plan.content)
        : { program: { steps: [] }, summary: [] };
      fields.steps = Buffer.from(encodeOwnerProgram(program));
      fields.summary = summary;
    } catch (err) {
      if (!(err instanceof BundleRenderError)) throw err;
      fields.steps = Buffer.from(encodeOwnerProgram({ steps: [] }));
      fields.deliveryStatus = 'failed';
      fields.statusDetail = `plan ${plan?.name ?? '?'} cannot be rendered: ${err.message}`;
    }
    const repository = manager.getRepository(ConfigBundleEntity);
    if (existing)
      await repository.update({ deviceId: target.deviceId }, { ...fields, revision: existing.revision + 1 });
    else await repository.insert({ deviceId: target.deviceId, revision: 1, ...fields });
    return 'rendered';
  }
}
