import { type ModuleMetadata, type Type } from '@nestjs/common';
import {
  type JobProcessor,
  RenderBundlesProcessor,
  WebhookDeliveryModule,
  WebhookDeliveryProcessor,
  webhookSecretKey,
} from '@ztp/queue';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG } from '@ztp/platform';

/**
 * Every queue consumer, registered once. A new processor: an `@Injectable()` class implementing
 * `JobProcessor<Data, Result>` for its queue (queues are registered in libs/queue/src/queues.ts);
 * append it here, and the modules providing what it injects to WORKER_IMPORTS.
 */
export const PROCESSORS: Type<JobProcessor<unknown, unknown>>[] = [
  WebhookDeliveryProcessor as Type<JobProcessor<unknown, unknown>>,
  RenderBundlesProcessor as Type<JobProcessor<unknown, unknown>>,
];

export const WORKER_IMPORTS: NonNullable<ModuleMetadata['imports']> = [
  WebhookDeliveryModule.register({
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      secretKey: webhookSecretKey(config.keyCustody.masterKey),
      timeoutMs: config.ledger.webhookTimeoutMs,
    }),
  }),
];
