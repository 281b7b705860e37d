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
import { RendezvousSweepProcessor, To0RegisterProcessor, To0ScanProcessor } from './to0/to0.processors';
import { To0WorkerModule } from './to0/to0-worker.module';
import { CertificateExpiryScanProcessor, CertificateWorkerModule } from './certificates/certificate-expiry';

/**
 * Every queue consumer, registered once. A new processor: an `@Injectable()` class implementing
 * `JobProcessor<Data, Result>` for its queue (queues are registered in libs/queue/src/queues.ts);
 * append it here, and the modules providing what it injects to WORKER_IMPORTS.
 */
export const PROCESSORS: Type<JobProcessor<unknown, unknown>>[] = [
  WebhookDeliveryProcessor as Type<JobProcessor<unknown, unknown>>,
  RenderBundlesProcessor as Type<JobProcessor<unknown, unknown>>,
  To0RegisterProcessor as Type<JobProcessor<unknown, unknown>>,
  To0ScanProcessor as Type<JobProcessor<unknown, unknown>>,
  RendezvousSweepProcessor as Type<JobProcessor<unknown, unknown>>,
  CertificateExpiryScanProcessor as Type<JobProcessor<unknown, unknown>>,
];

export const WORKER_IMPORTS: NonNullable<ModuleMetadata['imports']> = [
  WebhookDeliveryModule.register({
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      secretKey: webhookSecretKey(config.keyCustody.masterKey),
      timeoutMs: config.ledger.webhookTimeoutMs,
      targets: config.ledger.webhookTargets,
    }),
  }),
  To0WorkerModule,
  CertificateWorkerModule,
];
