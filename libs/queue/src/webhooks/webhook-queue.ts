import { defineQueue } from '../queue-definition';

export interface WebhookDeliveryJob {
  deliveryId: string;
}

export interface WebhookDeliveryResult {
  outcome: 'delivered' | 'skipped';
  statusCode?: number;
}

/**
 * One job per webhook_delivery row (job id = delivery id, so enqueueing twice is harmless).
 * Failed attempts are retried with exponential backoff: 10 s, 20 s, 40 s ... about 85 minutes in
 * all over 10 attempts; then the delivery is marked failed.
 */
export const WEBHOOK_DELIVERY = defineQueue<WebhookDeliveryJob, WebhookDeliveryResult>('webhook.deliver', {
  attempts: 10,
  backoff: { type: 'exponential', delay: 10_000 },
});
