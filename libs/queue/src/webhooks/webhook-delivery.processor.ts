import { Inject, Injectable } from '@nestjs/common';
import { type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from '@ztp/persistence';
import { type JobProcessor } from '../nest/job-processor';
import { WEBHOOK_HTTP, type WebhookHttp } from './webhook-http';
import { type WebhookTargetRules } from './webhook-target-policy';
import { WEBHOOK_DELIVERY, type WebhookDeliveryJob, type WebhookDeliveryResult } from './webhook-queue';
import { unsealWebhookSecret } from './webhook-secret';
import {
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookSignature,
} from './webhook-signature';

export interface WebhookDeliveryOptions {
  /** webhookSecretKey(master key): opens the endpoints' sealed secrets. */
  secretKey: Buffer;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Which addresses deliveries may go to (the SSRF guard, see webhook-target-policy.ts). */
  targets: WebhookTargetRules;
}

export const WEBHOOK_DELIVERY_OPTIONS = Symbol('WEBHOOK_DELIVERY_OPTIONS');

/** A failed attempt; BullMQ retries the job with backoff until its attempts run out. */
export class WebhookAttemptFailed extends Error {
  override readonly name = 'WebhookAttemptFailed';
}

/**
 * Sends one webhook_delivery: POST of its JSON payload, signed (see webhook-signature.ts). A 2xx
 * answer marks it delivered; anything else (other status, timeout, network error) records the
 * attempt and throws so the job is retried; after the last attempt the delivery is marked failed.
 * A target the SSRF guard refuses (see guardedWebhookHttp) is such a failed attempt too.
 * A delivery whose endpoint was disabled or deleted meanwhile is marked failed without sending.
 */
@Injectable()
export class WebhookDeliveryProcessor implements JobProcessor<WebhookDeliveryJob, WebhookDeliveryResult> {
  readonly queue = WEBHOOK_DELIVERY;
  readonly concurrency = 4;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(WEBHOOK_HTTP) private readonly http: WebhookHttp,
    @Inject(WEBHOOK_DELIVERY_OPTIONS) private readonly options: WebhookDeliveryOptions,
  ) {}

  async process(job: Job<WebhookDeliveryJob, WebhookDeliveryResult>): Promise<WebhookDeliveryResult> {
    const deliveries = this.dataSource.getRepository(WebhookDeliveryEntity);
    const delivery = await deliveries.findOneBy({ id: job.data.deliveryId });
    if (!delivery || delivery.status !== 'pending') return { outcome: 'skipped' };
    const endpoint = await this.dataSource
      .getRepository(WebhookEndpointEntity)
      .findOneBy({ id: delivery.endpointId });
    if (!endpoint?.enabled) {
      await deliveries.update(
        { id: delivery.id },
        { status: 'failed', lastError: 'the endpoint is disabled' },
      );
      return { outcome: 'skipped' };
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = unsealWebhookSecret(this.options.secretKey, endpoint.id, endpoint.secretSealed);
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      ({ status: statusCode } = await this.http(endpoint.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'ztp-webhooks/1',
          [WEBHOOK_ID_HEADER]: delivery.eventId,
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      }));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const attempt = {
      attempts: delivery.attempts + 1,
      lastAttemptAt: new Date(),
      lastStatusCode: statusCode ?? null,
    };
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
      await deliveries.update(
        { id: delivery.id },
        { ...attempt, status: 'delivered', lastError: null, deliveredAt: new Date() },
      );
      return { outcome: 'delivered', statusCode };
    }
    const reason = error ?? `the endpoint answered ${statusCode}`;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await deliveries.update(
      { id: delivery.id },
      { ...attempt, status: lastAttempt ? 'failed' : 'pending', lastError: reason },
    );
    throw new WebhookAttemptFailed(reason);
  }
}
