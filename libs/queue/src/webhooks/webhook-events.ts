import { Injectable, Logger, type OnModuleInit, Optional, Inject } from '@nestjs/common';
import { type JobsOptions } from 'bullmq';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { afterCommit, installAfterCommit, WebhookDeliveryEntity } from '@ztp/persistence';
import { JobQueues } from '../nest/job-queues';
import { type WebhookEventInput } from './webhook-event-types';
import { webhookOutboxCte, webhookPayload } from './webhook-outbox';
import { WEBHOOK_DELIVERY } from './webhook-queue';

/** Job options overriding WEBHOOK_DELIVERY's defaults (tests shorten the backoff). */
export const WEBHOOK_JOB_OPTIONS = Symbol('WEBHOOK_JOB_OPTIONS');

/**
 * THE way to raise a webhook event: `emit(manager, event)` inside the transaction of the change
 * writes one webhook_delivery row per subscribed, enabled endpoint of the tenant (the outbox), and
 * after the commit enqueues their `webhook.deliver` jobs. An event raised in a transaction that
 * rolls back is never sent. `emitNow(event)` does the same in a transaction of its own.
 * `sweep()` re-enqueues pending deliveries whose job was lost (the process stopped between the
 * commit and the enqueue); enqueueing is idempotent (job id = delivery id).
 */
@Injectable()
export class WebhookEvents implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: JobQueues,
    @Optional() @Inject(WEBHOOK_JOB_OPTIONS) private readonly jobOptions: JobsOptions | null,
  ) {}

  onModuleInit(): void {
    installAfterCommit(this.dataSource, (err) =>
      this.logger.warn(`After-commit work failed (the sweep retries it): ${(err as Error).message}`),
    );
  }

  /** Records the event for the tenant's endpoints; returns the delivery ids. */
  async emit(manager: EntityManager, event: WebhookEventInput): Promise<string[]> {
    const { cte, params } = webhookOutboxCte(webhookPayload(event), {
      name: 'outbox',
      condition: 'true',
      firstParam: 1,
    });
    const rows: { id: string }[] = await manager.query(
      `WITH ${cte} SELECT id::text AS id FROM outbox`,
      params,
    );
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) afterCommit(manager, () => this.dispatch(ids));
    return ids;
  }

  async emitNow(event: WebhookEventInput): Promise<string[]> {
    return this.dataSource.transaction((manager) => this.emit(manager, event));
  }

  /** Enqueues delivery jobs (idempotent per delivery id). */
  async dispatch(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.queues.get(WEBHOOK_DELIVERY).addBulk(
      deliveryIds.map((deliveryId) => ({
        name: 'deliver',
        data: { deliveryId },
        opts: { ...this.jobOptions, jobId: deliveryId },
      })),
    );
  }

  /** Re-enqueues deliveries still pending after `olderThanMs` with no job behind them. */
  async sweep(olderThanMs = 60_000): Promise<number> {
    const stale = await this.dataSource.getRepository(WebhookDeliveryEntity).find({
      where: { status: 'pending', attempts: 0, createdAt: LessThan(new Date(Date.now() - olderThanMs)) },
      select: { id: true },
      take: 1000,
    });
    const queue = this.queues.get(WEBHOOK_DELIVERY);
    const lost: string[] = [];
    for (const { id } of stale) if (!(await queue.getJob(id))) lost.push(id);
    await this.dispatch(lost);
    return lost.length;
  }
}
