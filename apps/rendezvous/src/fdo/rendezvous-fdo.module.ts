import { Module } from '@nestjs/common';
import { FDO_MESSAGE_HANDLERS } from '@ztp/platform';
import { RendezvousCoreModule } from '../rendezvous-core.module';
import { To0Service } from '../to0/to0.service';
import { To1Service } from '../to1/to1.service';
import { RendezvousHandlers } from './rendezvous-handlers';

/** FDO TO0 and TO1 on the shared endpoint POST /fdo/101/msg/{20,22,30,32}. */
@Module({
  imports: [RendezvousCoreModule],
  providers: [
    To0Service,
    To1Service,
    RendezvousHandlers,
    {
      provide: FDO_MESSAGE_HANDLERS,
      inject: [RendezvousHandlers],
      useFactory: (handlers: RendezvousHandlers) => handlers.handlers(),
    },
  ],
})
export class RendezvousFdoModule {}
