import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { DeviceListService } from './device-list.service';
import { DevicesController } from './devices.controller';

/** The fleet view: GET /v1/devices and /v1/devices/{id}/events. */
@Module({
  imports: [AuthModule],
  controllers: [DevicesController],
  providers: [DeviceListService],
})
export class DevicesModule {}
