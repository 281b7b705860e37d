import { Injectable, Logger } from '@nestjs/common';
import { JobQueues, RENDER_BUNDLES } from '@ztp/queue';
import { type EntityManager } from 'typeorm';

/**
 * After an owner's plans, groups or files change: its waiting bundles are marked stale in the
 * change's transaction (a device arriving meanwhile gets a fresh render), and an
 * onboarding.render-bundles job re-renders them before the devices arrive.
 */
@Injectable()
export class RenderTrigger {
  private readonly logger = new Logger('Configuration');

  constructor(private readonly queues: JobQueues) {}

  async markStale(manager: EntityManager, ownerTenantId: string): Promise<void> {
    await manager.query(
      `UPDATE config_bundle SET stale = true WHERE owner_tenant_id = $1 AND delivery_status <> 'delivered'`,
      [ownerTenantId],
    );
  }

  async enqueue(ownerTenantId: string): Promise<void> {
    await this.queues
      .get(RENDER_BUNDLES)
      .add('render', { ownerTenantId })
      .catch((err: unknown) =>
        // The periodic sweep renders stale bundles too; a lost job only delays the render.
        this.logger.warn(`Could not enqueue a bundle render for ${ownerTenantId}: ${(err as Error).message}`),
      );
  }
}
