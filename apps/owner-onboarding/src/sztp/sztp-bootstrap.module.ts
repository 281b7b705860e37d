import { Module } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import {
  SztpAnswers,
  SztpDeviceIdentifier,
  SztpMasaVoucherIssuer,
  SztpOwnerSigners,
  SztpProgressLog,
  sztpOnboardedEvent,
  RESTCONF_ROOT,
} from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, HttpMetrics, KEY_CUSTODY, StartupError, TlsListenerModule } from '@ztp/platform';
import { DeviceFailureReporter, WebhookEvents, WebhookEventsModule } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { SztpLdevidIssuer } from './ldevid-issuer';
import { SztpBootstrapController } from './sztp-bootstrap.controller';
import { SztpOnboardingService } from './sztp-onboarding.service';

/** The HTTPS listener of the SZTP routes, when OWNER_ONBOARDING_SZTP_TLS_PORT is set. */
function sztpTlsSettings(config: AppConfig) {
  const port = config.sztp.tlsPorts.ownerOnboarding;
  if (port === 0) return undefined;
  const tls = config.sztp.tls;
  if (tls?.certificateFile === undefined || tls.privateKeyFile === undefined) {
    throw new StartupError(
      'OWNER_ONBOARDING_SZTP_TLS_PORT is set: SZTP_TLS_CERT_FILE and SZTP_TLS_KEY_FILE are both needed',
    );
  }
  return {
    port,
    host: config.http.host,
    certificateFile: tls.certificateFile,
    privateKeyFile: tls.privateKeyFile,
    pathPrefixes: ['/.well-known/host-meta', RESTCONF_ROOT],
  };
}

/** The SZTP bootstrap server of owner onboarding (RFC 8572 onboarding-server, RFC 9646 LDevIDs). */
@Module({
  imports: [
    WebhookEventsModule,
    TlsListenerModule.register({ name: 'SZTP bootstrap server', settings: sztpTlsSettings }),
  ],
  controllers: [SztpBootstrapController],
  providers: [
    {
      provide: SztpDeviceIdentifier,
      inject: [DataSource, CLOCK],
      useFactory: (dataSource: DataSource, clock: Clock) =>
        new SztpDeviceIdentifier({ dataSource, now: () => clock.now() }),
    },
    {
      provide: SztpProgressLog,
      inject: [DataSource, CLOCK, WebhookEvents, DeviceFailureReporter, HttpMetrics],
      useFactory: (
        dataSource: DataSource,
        clock: Clock,
        webhooks: WebhookEvents,
        deviceEvents: DeviceFailureReporter,
        metrics: HttpMetrics | undefined,
      ) =>
        new SztpProgressLog({
          dataSource,
          now: () => clock.now(),
          inTransaction: async (manager, recorded) => {
            const onboarded = sztpOnboardedEvent(recorded);
            if (onboarded) await webhooks.emit(manager, onboarded);
            const outcome = await deviceEvents.sztpProgress(manager, recorded);
            if (outcome) metrics?.countSztpOnboarding(outcome);
          },
        }),
    },
    {
      provide: SztpAnswers,
      inject: [DataSource, KEY_CUSTODY, CLOCK],
      useFactory: (dataSource: DataSource, custody: KeyCustody, clock: Clock) =>
        new SztpAnswers({
          dataSource,
          ownerSigners: new SztpOwnerSigners(custody),
          vouchers: new SztpMasaVoucherIssuer({ dataSource, custody, now: () => clock.now() }),
        }),
    },
    SztpLdevidIssuer,
    SztpOnboardingService,
  ],
})
export class SztpBootstrapModule {}
