import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit, Optional, Inject } from '@nestjs/common';
import { type JobsOptions } from 'bullmq';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import {
  afterCommit,
  installAfterCommit,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from '@ztp/persistence';
import { JobQueues } from '../nest/job-queues';
import { type WebhookEventInput, type WebhookPayload } from './webhook-event-types';
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
    const endpoints = await manager.getRepository(WebhookEndpointEntity).find({
      where: { tenantId: event.tenantId, enabled: true },
      select: { id: true, eventTypes: true },
    });
    const subscribed = endpoints.filter((endpoint) => endpoint.eventTypes.includes(event.type));
    if (subscribed.length === 0) return [];
    const payload: WebhookPayload = {
      id: randomUUID(),
      type: event.type,
      tenantId: event.tenantId,
      occurredAt: new Date().toISOString(),
      subject: event.subject ?? null,
      data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    };
    const rows = await manager.getRepository(WebhookDeliveryEntity).save(
      subscribed.map((endpoint) => ({
        endpointId: endpoint.id,
        tenantId: event.tenantId,
        eventId: payload.id,
        eventType: event.type,
        payload: payload as unknown as Record<string, unknown>,
        status: 'pending' as const,
        attempts: 0,
      })),
    );
    const ids = rows.map((row) => row.id);
    afterCommit(manager, () => this.dispatch(ids));
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
