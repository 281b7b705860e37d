import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { AuditModule } from '../audit/audit.module';
import { DeviceStatusService } from './device-status.service';
import { ImportBodyInterceptor } from './upload/import-body.interceptor';
import { VoucherDeleteService } from './voucher-delete.service';
import { VoucherImportService } from './voucher-import.service';
import { VoucherVerifier } from './verify/voucher-verifier';
import { VoucherQueryService } from './voucher-query.service';
import { VoucherReceivedHooks } from './voucher-received-hooks';
import { VouchersController } from './vouchers.controller';

/** The voucher ledger: import, list, get, delete, per-device status. */
@Module({
  imports: [AuthModule, AuditModule, QueueModule, WebhookEventsModule],
  controllers: [VouchersController],
  providers: [
    VoucherImportService,
    VoucherVerifier,
    VoucherQueryService,
    VoucherDeleteService,
    DeviceStatusService,
    VoucherReceivedHooks,
    ImportBodyInterceptor,
  ],
  exports: [VoucherQueryService, VoucherReceivedHooks],
})
export class VouchersModule {}
