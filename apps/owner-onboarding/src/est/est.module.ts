import { Module } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { StartupError, TlsListenerModule } from '@ztp/platform';
import { WebhookEventsModule } from '@ztp/queue';
import { CertificatesModule } from '../certificates/certificates.module';
import { EstController } from './est.controller';
import { EstService } from './est.service';

/** The HTTPS listener of the EST routes, when OWNER_ONBOARDING_EST_TLS_PORT is set. */
function estTlsSettings(config: AppConfig) {
  if (config.est.tlsPort === 0) return undefined;
  const tls = config.est.tls;
  if (tls?.certificateFile === undefined || tls.privateKeyFile === undefined)
    throw new StartupError(
      'OWNER_ONBOARDING_EST_TLS_PORT is set: EST_TLS_CERT_FILE and EST_TLS_KEY_FILE are both needed',
    );
  return {
    port: config.est.tlsPort,
    host: config.http.host,
    certificateFile: tls.certificateFile,
    privateKeyFile: tls.privateKeyFile,
    pathPrefixes: ['/.well-known/est'],
  };
}

/** EST (RFC 7030) enrolment and renewal of operational certificates. */
@Module({
  imports: [
    CertificatesModule,
    WebhookEventsModule,
    TlsListenerModule.register({ name: 'EST server', settings: estTlsSettings }),
  ],
  controllers: [EstController],
  providers: [EstService],
})
export class EstModule {}
