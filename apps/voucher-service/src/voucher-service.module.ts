import { Module } from '@nestjs/common';
import { ManufacturingModule } from './manufacturing/manufacturing.module';
import { SztpLedgerModule } from './sztp/sztp-ledger.module';

/**
 * The voucher service app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({ imports: [ManufacturingModule, SztpLedgerModule] })
export class VoucherServiceModule {}
