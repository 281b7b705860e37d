import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditModule } from '../audit/audit.module';
import { OperatorApiKeysController, TenantApiKeysController } from './api-keys.controller';
import { ApiKeyPages } from './api-key-pages';
import { TenantService } from './tenant.service';
import { TenantsController } from './tenants.controller';
import { WhoAmIController } from './whoami.controller';

/** Tenants, their settings and API keys. */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [TenantsController, TenantApiKeysController, OperatorApiKeysController, WhoAmIController],
  providers: [TenantService, ApiKeyPages],
  exports: [TenantService],
})
export class TenantsModule {}
