import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { CertificateRevocations } from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { WebhookEventsModule } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { AuditModule } from '../audit/audit.module';
import { OwnerTenants } from '../configuration/owner-tenants';
import { CertificatesController } from './certificates.controller';
import { CertificatesService } from './certificates.service';

/** The owner's operational certificates: revocation, and EST enrolment tokens. */
@Module({
  imports: [AuthModule, AuditModule, WebhookEventsModule],
  controllers: [CertificatesController],
  providers: [
    OwnerTenants,
    {
      provide: CertificateRevocations,
      inject: [DataSource, KEY_CUSTODY, CLOCK],
      useFactory: (dataSource: DataSource, custody: KeyCustody, clock: Clock) =>
        new CertificateRevocations(dataSource, custody, () => clock.now()),
    },
    CertificatesService,
  ],
})
export class CertificatesModule {}
