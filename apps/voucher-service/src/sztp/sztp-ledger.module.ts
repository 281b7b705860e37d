import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { WebhookEventsModule } from '@ztp/queue';
import { SztpAudit } from './sztp-audit';
import { SztpManufacturerController } from './sztp-manufacturer.controller';
import { SztpManufacturerService } from './sztp-manufacturer.service';
import { SztpOwnerController } from './sztp-owner.controller';
import { SztpOwnerService } from './sztp-owner.service';
import { SztpVoucherLedger } from './sztp-voucher-ledger.service';
import { SztpVouchersController } from './sztp-vouchers.controller';

/**
 * SZTP in the voucher service: device types, devices and MASAs (manufacturers), owner identities,
 * bootstrap servers and onboarding profiles (owners), and the RFC 8366 voucher ledger.
 */
@Module({
  imports: [AuthModule, WebhookEventsModule],
  controllers: [SztpManufacturerController, SztpOwnerController, SztpVouchersController],
  providers: [SztpAudit, SztpManufacturerService, SztpOwnerService, SztpVoucherLedger],
})
export class SztpLedgerModule {}
