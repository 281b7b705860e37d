import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { QueueModule } from '@ztp/queue';
import { AuditModule } from '../audit/audit.module';
import { ConfigFilesController } from './config-files.controller';
import { ConfigFilesService } from './config-files.service';
import { ConfigPlansController, DeviceGroupsController } from './config-plans.controller';
import { ConfigPlansService } from './config-plans.service';
import { DeviceGroupsService } from './device-groups.service';
import { DeviceOnboardingService } from './device-onboarding.service';
import { OnboardingStatusController } from './onboarding-status.controller';
import { OwnerCaController } from './owner-ca.controller';
import { OwnerCaService } from './owner-ca.service';
import { OwnerTenants } from './owner-tenants';
import { RenderTrigger } from './render-trigger';

/**
 * Owner onboarding configuration (/v1/onboarding): configuration plans, device groups and files
 * (what devices receive in TO2 ServiceInfo), bundle delivery status per device, the owner CA and
 * the device CAs the owner trusts. Owner tenants, role onboarding:admin.
 */
@Module({
  imports: [AuthModule, AuditModule, QueueModule],
  controllers: [
    ConfigPlansController,
    DeviceGroupsController,
    ConfigFilesController,
    OnboardingStatusController,
    OwnerCaController,
  ],
  providers: [
    OwnerTenants,
    RenderTrigger,
    ConfigPlansService,
    DeviceGroupsService,
    ConfigFilesService,
    DeviceOnboardingService,
    OwnerCaService,
  ],
})
export class ConfigurationModule {}
