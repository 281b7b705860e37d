import { type QueueDefinition } from './queue-definition';
import { WEBHOOK_DELIVERY } from './webhooks/webhook-queue';
import { RENDER_BUNDLES } from './onboarding/render-bundles-queue';
import { RENDEZVOUS_SWEEP, TO0_REGISTER, TO0_SCAN } from './to0/to0-queues';
import { CERTIFICATE_EXPIRY_SCAN } from './certificates/certificate-queues';

/**
 * Every queue of the system, registered once. A new queue: declare it in its feature (or here) with
 * `export const TO0_REGISTER = defineQueue<To0RegisterJob, To0RegisterResult>('to0.register', {...})`
 * and append it to this list; its processor goes into apps/worker/src/processors.ts.
 */
export const QUEUES: readonly QueueDefinition<unknown, unknown>[] = [
  WEBHOOK_DELIVERY as QueueDefinition<unknown, unknown>,
  RENDER_BUNDLES as QueueDefinition<unknown, unknown>,
  TO0_REGISTER as QueueDefinition<unknown, unknown>,
  TO0_SCAN as QueueDefinition<unknown, unknown>,
  RENDEZVOUS_SWEEP as QueueDefinition<unknown, unknown>,
  CERTIFICATE_EXPIRY_SCAN as QueueDefinition<unknown, unknown>,
];
