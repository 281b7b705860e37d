import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { AuditModule } from '../audit/audit.module';
import { DeviceLifecycleController } from './device-lifecycle.controller';
import { DeviceLifecycleService } from './device-lifecycle.service';
import { DeviceListService } from './device-list.service';
import { DevicesController } from './devices.controller';

/**
 * Devices: the fleet view (GET /v1/devices and /v1/devices/{id}/events) and the lifecycle
 * (disable/enable, decommission, re-onboarding arm and policy, refurbish).
 */
@Module({
  imports: [AuthModule, AuditModule, QueueModule, WebhookEventsModule],
  controllers: [DevicesController, DeviceLifecycleController],
  providers: [DeviceListService, DeviceLifecycleService],
  exports: [DeviceLifecycleService],
})
export class DevicesModule {}
