import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { AuditModule } from '../audit/audit.module';
import { DeviceLifecycleController } from './device-lifecycle.controller';
import { DeviceLifecycleService } from './device-lifecycle.service';

/** The device lifecycle: disable/enable, decommission, re-onboarding arm and policy, refurbish. */
@Module({
  imports: [AuthModule, AuditModule, QueueModule, WebhookEventsModule],
  controllers: [DeviceLifecycleController],
  providers: [DeviceLifecycleService],
  exports: [DeviceLifecycleService],
})
export class DeviceLifecycleModule {}
