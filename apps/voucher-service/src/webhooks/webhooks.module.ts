import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditModule } from '../audit/audit.module';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { WebhooksController } from './webhooks.controller';

/** Webhook endpoints of a tenant (delivery itself runs in the worker: libs/queue/src/webhooks). */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [WebhooksController],
  providers: [WebhookEndpointService],
})
export class WebhooksModule {}
