import { Global, Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditModule } from '../audit/audit.module';
import {
  DEVICE_INITIALIZED_HOOKS,
  type DeviceInitializedHook,
} from '../manufacturing/di/device-initialized-hooks';
import { OwnerKeysModule } from '../owner-keys/owner-keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { TransfersModule } from '../transfers/transfers.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { AssignmentEngine } from './assignment-engine';
import { AssignmentRuleService } from './assignment-rule.service';
import { AssignmentRulesController } from './assignment-rules.controller';

/**
 * Assignment rules. Global because DI looks up DEVICE_INITIALIZED_HOOKS from the root container:
 * this module provides that list (the rule engine's DI hook).
 */
@Global()
@Module({
  imports: [AuthModule, AuditModule, OwnerKeysModule, TenantsModule, TransfersModule, VouchersModule],
  controllers: [AssignmentRulesController],
  providers: [
    AssignmentRuleService,
    AssignmentEngine,
    {
      provide: DEVICE_INITIALIZED_HOOKS,
      inject: [AssignmentEngine],
      useFactory: (engine: AssignmentEngine): DeviceInitializedHook[] => [engine.onDeviceInitialized],
    },
  ],
  exports: [DEVICE_INITIALIZED_HOOKS, AssignmentRuleService],
})
export class AssignmentModule {}
