import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AssignmentModule } from '../assignment/assignment.module';
import { ManufacturingModule } from '../manufacturing/manufacturing.module';
import { OwnerKeysModule } from '../owner-keys/owner-keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { DemoSeed } from './demo-seed';

/** The demo tenants of the embedded default (see DemoSeed). */
@Module({
  imports: [AuthModule, TenantsModule, OwnerKeysModule, AssignmentModule, ManufacturingModule],
  providers: [DemoSeed],
})
export class SeedModule {}
