import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { type Worker } from 'bullmq';
import { type QueueBackend } from '../queue-backend';
import { type JobProcessor } from './job-processor';
import { QUEUE_BACKEND } from './tokens';

const JOB_PROCESSORS = Symbol('JOB_PROCESSORS');

type AnyProcessor = JobProcessor<unknown, unknown>;

/** Starts one BullMQ worker per processor once the app is up; closes them at shutdown. */
@Injectable()
class ProcessorHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('QueueWorkers');
  private workers: Worker<unknown, unknown>[] = [];

  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(JOB_PROCESSORS) private readonly processors: AnyProcessor[],
  ) {}

  onApplicationBootstrap(): void {
    const names = this.processors.map((processor) => processor.queue.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new Error(`Two processors consume queue "${duplicate}"`);
    this.workers = this.processors.map((processor) => {
      const worker = this.backend.createWorker(processor.queue, (job) => processor.process(job), {
        concurrency: processor.concurrency,
      });
      worker.on('failed', (job, err) =>
        this.logger.warn(`Job ${processor.queue.name}#${job?.id ?? '?'} failed: ${err.message}`),
      );
      worker.on('error', (err) => this.logger.error(`Worker of ${processor.queue.name}: ${err.message}`));
      return worker;
    });
    if (names.length > 0) this.logger.log(`Consuming ${names.join(', ')} on ${this.backend.location}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

@Module({})
export class QueueWorkersModule {
  /**
   * @param processors the consumer classes (apps/worker/src/processors.ts)
   * @param imports modules providing what the processors inject
   */
  static forProcessors(
    processors: Type<AnyProcessor>[],
    imports: ModuleMetadata['imports'] = [],
  ): DynamicModule {
    return {
      module: QueueWorkersModule,
      imports,
      providers: [
        ...processors,
        {
          provide: JOB_PROCESSORS,
          useFactory: (...instances: AnyProcessor[]) => instances,
          inject: processors,
        },
        ProcessorHost,
      ],
    };
  }
}
