import { Module } from '@nestjs/common';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { TO0_FETCH, To0Registrar } from './to0-registrar';
import { To0Schedules } from './to0-schedules';
import { To0TargetsRepository } from './to0-targets.repository';

/** What the TO0 processors inject; imported into the worker (WORKER_IMPORTS). */
@Module({
  imports: [QueueModule, WebhookEventsModule],
  providers: [
    To0TargetsRepository,
    To0Registrar,
    To0Schedules,
    { provide: TO0_FETCH, useValue: (url: string, init: RequestInit) => globalThis.fetch(url, init) },
  ],
  exports: [To0TargetsRepository, To0Registrar, QueueModule],
})
export class To0WorkerModule {}
