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
import { type QueueDefinition } from '../queue-definition';
import { type JobProcessor } from './job-processor';
import { QUEUE_BACKEND } from './tokens';

const JOB_PROCESSORS = Symbol('JOB_PROCESSORS');

type AnyProcessor = JobProcessor<unknown, unknown>;

/**
 * What the worker's probes and metrics read: the queues consumed, whether their workers run, and
 * failed jobs per queue since the start (ztp_queue_job_failures_total).
 */
@Injectable()
export class QueueWorkerStatus {
  readonly failures = new Map<string, number>();
  queues: QueueDefinition<unknown, unknown>[] = [];
  running = false;
  /** The last time a job finished (completed or failed), ms since the epoch; 0: none yet. */
  lastJobFinishedAt = 0;
}

/** Starts one BullMQ worker per processor once the app is up; closes them at shutdown. */
@Injectable()
class ProcessorHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('QueueWorkers');
  private workers: Worker<unknown, unknown>[] = [];

  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(JOB_PROCESSORS) private readonly processors: AnyProcessor[],
    private readonly status: QueueWorkerStatus,
  ) {}

  onApplicationBootstrap(): void {
    const names = this.processors.map((processor) => processor.queue.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new Error(`Two processors consume queue "${duplicate}"`);
    this.workers = this.processors.map((processor) => {
      const worker = this.backend.createWorker(processor.queue, (job) => processor.process(job), {
        concurrency: processor.concurrency,
      });
      const name = processor.queue.name;
      this.status.failures.set(name, 0);
      worker.on('failed', (job, err) => {
        this.status.failures.set(name, (this.status.failures.get(name) ?? 0) + 1);
        this.status.lastJobFinishedAt = Date.now();
        this.logger.warn(`Job ${name}#${job?.id ?? '?'} failed: ${err.message}`);
      });
      worker.on('completed', () => {
        this.status.lastJobFinishedAt = Date.now();
      });
      worker.on('error', (err) => this.logger.error(`Worker of ${processor.queue.name}: ${err.message}`));
      return worker;
    });
    this.status.queues = this.processors.map((processor) => processor.queue);
    this.status.running = true;
    if (names.length > 0) this.logger.log(`Consuming ${names.join(', ')} on ${this.backend.location}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.status.running = false;
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
        QueueWorkerStatus,
        ProcessorHost,
      ],
      exports: [QueueWorkerStatus],
    };
  }
}
