import { Module } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import {
  RESTCONF_ROOT,
  SztpAnswers,
  SztpDeviceIdentifier,
  SztpMasaVoucherIssuer,
  SztpOwnerSigners,
  SztpProgressLog,
  sztpOnboardedEvent,
} from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, HttpMetrics, KEY_CUSTODY, StartupError, TlsListenerModule } from '@ztp/platform';
import { DeviceFailureReporter, WebhookEvents, WebhookEventsModule } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { SztpRedirectController } from './sztp-redirect.controller';
import { SztpRedirectService } from './sztp-redirect.service';

/** The HTTPS listener of the SZTP routes, when RENDEZVOUS_SZTP_TLS_PORT is set. */
function sztpTlsSettings(config: AppConfig) {
  const port = config.sztp.tlsPorts.rendezvous;
  if (port === 0) return undefined;
  const tls = config.sztp.tls;
  if (tls?.certificateFile === undefined || tls.privateKeyFile === undefined) {
    throw new StartupError(
      'RENDEZVOUS_SZTP_TLS_PORT is set: SZTP_TLS_CERT_FILE and SZTP_TLS_KEY_FILE are both needed',
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

/** The SZTP redirect server of rendezvous (RFC 8572 redirect-server). */
@Module({
  imports: [
    WebhookEventsModule,
    TlsListenerModule.register({ name: 'SZTP redirect server', settings: sztpTlsSettings }),
  ],
  controllers: [SztpRedirectController],
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
    SztpRedirectService,
  ],
})
export class SztpRedirectModule {}
