import { Module } from '@nestjs/common';
import { CertificatesModule } from './certificates/certificates.module';
import { EstModule } from './est/est.module';
import { SztpBootstrapModule } from './sztp/sztp-bootstrap.module';
import { To2Module } from './to2/to2.module';

/**
 * The owner onboarding app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({ imports: [CertificatesModule, EstModule, SztpBootstrapModule, To2Module] })
export class OwnerOnboardingModule {}
