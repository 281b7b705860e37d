import {
  type DynamicModule,
  type INestApplicationContext,
  type LoggerService,
  Module,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PersistenceModule } from '@ztp/persistence';
import { QUEUE_BACKEND } from '@ztp/queue';
import { type Runtime } from '../runtime/runtime';
import { CLOCK, systemClock } from '../ports/clock';
import { KEY_CUSTODY, keyCustodyProvider } from '../ports/key-custody.provider';
import { APP_CONFIG } from '../tokens';

@Module({})
class WorkerHostModule {
  static forRuntime(runtime: Runtime, workerModule: Type | DynamicModule): DynamicModule {
    return {
      module: WorkerHostModule,
      global: true,
      imports: [
        PersistenceModule.forRoot({ url: runtime.database.url, applicationName: 'ztp-worker' }),
        workerModule,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        { provide: QUEUE_BACKEND, useValue: runtime.queueBackend },
        { provide: CLOCK, useValue: systemClock },
        keyCustodyProvider,
      ],
      exports: [APP_CONFIG, QUEUE_BACKEND, CLOCK, KEY_CUSTODY],
    };
  }
}

/**
 * The queue consumers as a Nest application context (no HTTP): `workerModule` is typically
 * `QueueWorkersModule.forProcessors(PROCESSORS, imports)`. `close()` stops the workers, then the
 * data source.
 */
export async function createWorkerContext(
  runtime: Runtime,
  workerModule: Type | DynamicModule,
  logger: LoggerService,
): Promise<INestApplicationContext> {
  const context = await NestFactory.createApplicationContext(
    WorkerHostModule.forRuntime(runtime, workerModule),
    {
      logger,
      abortOnError: false,
    },
  );
  return context.init();
}
