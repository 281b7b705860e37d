import { Module } from '@nestjs/common';
import { CertificateRevocations } from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { WebhookEventsModule } from '@ztp/queue';
import { OcspResponder } from './ocsp-responder';
import { OwnerCertificateAuthority } from './owner-certificate-authority';
import { RevocationController } from './revocation.controller';

/** The owner CAs: issuance of operational certificates, and their revocation status (CRLs and OCSP). */
@Module({
  imports: [WebhookEventsModule],
  controllers: [RevocationController],
  providers: [
    {
      provide: CertificateRevocations,
      inject: [DataSource, KEY_CUSTODY, CLOCK],
      useFactory: (dataSource: DataSource, custody: KeyCustody, clock: Clock) =>
        new CertificateRevocations(dataSource, custody, () => clock.now()),
    },
    OcspResponder,
    OwnerCertificateAuthority,
  ],
  exports: [CertificateRevocations, OwnerCertificateAuthority, OcspResponder],
})
export class CertificatesModule {}
