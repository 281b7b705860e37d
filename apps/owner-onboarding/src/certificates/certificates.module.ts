import { Module } from '@nestjs/common';
import { CertificateRevocations } from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { OcspResponder } from './ocsp-responder';
import { RevocationController } from './revocation.controller';

/** Publication of the owner CAs' revocation status: CRLs and OCSP. */
@Module({
  controllers: [RevocationController],
  providers: [
    {
      provide: CertificateRevocations,
      inject: [DataSource, KEY_CUSTODY, CLOCK],
      useFactory: (dataSource: DataSource, custody: KeyCustody, clock: Clock) =>
        new CertificateRevocations(dataSource, custody, () => clock.now()),
    },
    OcspResponder,
  ],
  exports: [CertificateRevocations],
})
export class CertificatesModule {}
