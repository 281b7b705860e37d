import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { AuditModule } from '../audit/audit.module';
import { OwnerKeysModule } from '../owner-keys/owner-keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { TransfersController } from './transfers.controller';
import { TransferService } from './transfer.service';

/** Voucher hand-overs between tenants and out of the service. */
@Module({
  imports: [
    AuthModule,
    AuditModule,
    QueueModule,
    WebhookEventsModule,
    OwnerKeysModule,
    TenantsModule,
    VouchersModule,
  ],
  controllers: [TransfersController],
  providers: [TransferService],
  exports: [TransferService],
})
export class TransfersModule {}
