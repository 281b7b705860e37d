import {
  type DynamicModule,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { QueueModule } from '../nest/queue.module';
import { WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-delivery.processor';
import { DeviceFailureReporter } from './device-failure-reporter';
import { WebhookEvents } from './webhook-events';
import {
  guardedWebhookHttp,
  systemWebhookResolver,
  WEBHOOK_HTTP,
  WEBHOOK_RESOLVER,
  type WebhookResolver,
} from './webhook-http';
import { WebhookTargetPolicy } from './webhook-target-policy';

/** Import where events are raised: provides `WebhookEvents` and `DeviceFailureReporter`. */
@Module({
  imports: [QueueModule],
  providers: [WebhookEvents, DeviceFailureReporter],
  exports: [WebhookEvents, DeviceFailureReporter],
})
export class WebhookEventsModule {}

const SWEEP_EVERY_MS = 60_000;

/** Re-enqueues lost deliveries once a minute while the worker runs. */
@Injectable()
class WebhookSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly events: WebhookEvents) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.events.sweep().then(
        (count) => count > 0 && this.logger.log(`Re-enqueued ${count} webhook deliveries`),
        (err: unknown) => this.logger.warn(`Webhook sweep failed: ${(err as Error).message}`),
      );
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

/**
 * Import into the worker next to WebhookDeliveryProcessor (in PROCESSORS): provides what it
 * injects. `options` provides WEBHOOK_DELIVERY_OPTIONS, e.g. from APP_CONFIG. Deliveries resolve
 * host names through WEBHOOK_RESOLVER (the system resolver; tests override it).
 */
@Module({})
export class WebhookDeliveryModule {
  static register(options: Omit<Extract<Provider, { useFactory: unknown }>, 'provide'>): DynamicModule {
    return {
      module: WebhookDeliveryModule,
      imports: [WebhookEventsModule],
      providers: [
        { ...options, provide: WEBHOOK_DELIVERY_OPTIONS } as Provider<WebhookDeliveryOptions>,
        { provide: WEBHOOK_RESOLVER, useValue: systemWebhookResolver },
        {
          provide: WEBHOOK_HTTP,
          inject: [WEBHOOK_DELIVERY_OPTIONS, WEBHOOK_RESOLVER],
          useFactory: (delivery: WebhookDeliveryOptions, resolver: WebhookResolver) =>
            guardedWebhookHttp(new WebhookTargetPolicy(delivery.targets), resolver),
        },
        WebhookSweeper,
      ],
      exports: [WEBHOOK_DELIVERY_OPTIONS, WEBHOOK_HTTP, WEBHOOK_RESOLVER],
    };
  }
}
