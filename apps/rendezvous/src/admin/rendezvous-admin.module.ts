import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { RendezvousCoreModule } from '../rendezvous-core.module';
import { PolicyAdminController } from './policy-admin.controller';
import { RegistrationsAdminController } from './registrations-admin.controller';

/** The operators' REST API for the acceptance policy and the registrations (/v1/rendezvous/...). */
@Module({
  imports: [AuthModule, RendezvousCoreModule],
  controllers: [PolicyAdminController, RegistrationsAdminController],
})
export class RendezvousAdminModule {}
