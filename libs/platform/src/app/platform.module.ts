import { type DynamicModule, Module } from '@nestjs/common';
import { pino } from 'pino';
import { PersistenceModule } from '@ztp/persistence';
import { QUEUE_BACKEND } from '@ztp/queue';
import { HealthModule } from '../health/health.module';
import { InfoModule } from '../info/info.module';
import { LoggingModule } from '../logging/logging.module';
import { MetricsModule } from '../metrics/metrics.module';
import { CLOCK, systemClock } from '../ports/clock';
import { KEY_CUSTODY, keyCustodyProvider } from '../ports/key-custody.provider';
import { type Runtime } from '../runtime/runtime';
import { APP_CONFIG, APP_DESCRIPTOR } from '../tokens';
import { type AppDescriptor } from './app-descriptor';

/** Never connected to: a document-only app (preview mode) instantiates no provider. */
const NO_DATABASE = 'postgres://document-only.invalid/none';

/**
 * The root module of one hosted app: the platform's modules around the app's own module, and the
 * process runtime's pieces as global providers (APP_CONFIG, APP_DESCRIPTOR, QUEUE_BACKEND).
 * Without a runtime it is only good for building the OpenAPI document in preview mode.
 */
@Module({})
export class PlatformModule {
  static forApp(descriptor: AppDescriptor, runtime: Runtime | undefined): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        LoggingModule.forApp(runtime?.logger ?? pino({ level: 'silent' }), descriptor.name),
        PersistenceModule.forRoot({
          url: runtime?.database.url ?? NO_DATABASE,
          applicationName: `ztp-${descriptor.name}`,
        }),
        MetricsModule.forApp(descriptor.name),
        HealthModule,
        InfoModule,
        descriptor.module,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: runtime?.config },
        { provide: APP_DESCRIPTOR, useValue: descriptor },
        { provide: QUEUE_BACKEND, useValue: runtime?.queueBackend },
        { provide: CLOCK, useValue: systemClock },
        keyCustodyProvider,
      ],
      exports: [APP_CONFIG, APP_DESCRIPTOR, QUEUE_BACKEND, CLOCK, KEY_CUSTODY, MetricsModule],
    };
  }
}
