import { Module } from '@nestjs/common';
import { FDO_MESSAGE_HANDLERS, withFailureRecorder } from '@ztp/platform';
import { WebhookEventsModule } from '@ztp/queue';
import { RendezvousCoreModule } from '../rendezvous-core.module';
import { To0Service } from '../to0/to0.service';
import { To1Service } from '../to1/to1.service';
import { RendezvousHandlers } from './rendezvous-handlers';
import { To1FailureRecorder } from './to1-failure-recorder';

/** FDO TO0 and TO1 on the shared endpoint POST /fdo/101/msg/{20,22,30,32}. */
@Module({
  imports: [RendezvousCoreModule, WebhookEventsModule],
  providers: [
    To0Service,
    To1Service,
    RendezvousHandlers,
    {
      provide: FDO_MESSAGE_HANDLERS,
      inject: [RendezvousHandlers, To1FailureRecorder],
      useFactory: (handlers: RendezvousHandlers, failures: To1FailureRecorder) =>
        withFailureRecorder(handlers.handlers(), failures.record),
    },
    To1FailureRecorder,
  ],
})
export class RendezvousFdoModule {}
