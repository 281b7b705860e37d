import { Module } from '@nestjs/common';
import { ManufacturingModule } from './manufacturing/manufacturing.module';
import { SztpLedgerModule } from './sztp/sztp-ledger.module';
import { AuditModule } from './audit/audit.module';
import { TenantsModule } from './tenants/tenants.module';
import { OwnerKeysModule } from './owner-keys/owner-keys.module';
import { VouchersModule } from './vouchers/vouchers.module';
import { TransfersModule } from './transfers/transfers.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { AssignmentModule } from './assignment/assignment.module';
import { SeedModule } from './seed/seed.module';
import { ConfigurationModule } from './configuration/configuration.module';
import { DevicesModule } from './devices/devices.module';
import { CertificatesModule } from './certificates/certificates.module';

/**
 * The voucher service app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({
  imports: [
    ManufacturingModule,
    SztpLedgerModule,
    AuditModule,
    TenantsModule,
    OwnerKeysModule,
    VouchersModule,
    TransfersModule,
    WebhooksModule,
    AssignmentModule,
    SeedModule,
    ConfigurationModule,
    DevicesModule,
    CertificatesModule,
  ],
})
export class VoucherServiceModule {}
