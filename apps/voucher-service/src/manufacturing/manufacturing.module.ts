import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditLog } from '@ztp/persistence';
import { CertificateIssuer, type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, FDO_MESSAGE_HANDLERS, KEY_CUSTODY, withFailureRecorder } from '@ztp/platform';
import { WebhookEventsModule } from '@ztp/queue';
import { CompleteDeviceInitialization } from './di/complete-device-initialization.use-case';
import { DiFailureRecorder } from './di/di-failure-recorder';
import { diMessageHandlers } from './di/di-message-handlers';
import { StartDeviceInitialization } from './di/start-device-initialization.use-case';
import { RANDOM_SOURCE } from './manufacturing.tokens';
import { GetManufacturerPki } from './pki/get-manufacturer-pki.use-case';
import { InitializeManufacturerPki } from './pki/initialize-manufacturer-pki.use-case';
import { ManufacturerPkiController } from './pki/manufacturer-pki.controller';
import { GetRendezvousDirectives } from './rendezvous/get-rendezvous-directives.use-case';
import { RendezvousController } from './rendezvous/rendezvous.controller';
import { SetRendezvousDirectives } from './rendezvous/set-rendezvous-directives.use-case';
import { CreateStation } from './stations/create-station.use-case';
import { ListStations } from './stations/list-stations.use-case';
import { RevokeStation } from './stations/revoke-station.use-case';
import { StationAuthenticator } from './stations/station-authenticator';
import { StationsController } from './stations/stations.controller';

/**
 * Manufacturing in the voucher service: FDO Device Initialize at POST /fdo/101/msg/10 and 12, the
 * manufacturer PKI, DI stations and rendezvous directives under /v1/manufacturers/{tenantId}/...
 *
 * Extension point: DEVICE_INITIALIZED_HOOKS (di/device-initialized-hooks.ts) run inside the DI
 * transaction; provide that token from a @Global() module to plug some in.
 */
@Module({
  imports: [AuthModule, WebhookEventsModule],
  controllers: [ManufacturerPkiController, StationsController, RendezvousController],
  providers: [
    { provide: RANDOM_SOURCE, useValue: (length: number) => new Uint8Array(randomBytes(length)) },
    { provide: AuditLog, inject: [CLOCK], useFactory: (clock: Clock) => new AuditLog(() => clock.now()) },
    {
      provide: CertificateIssuer,
      inject: [KEY_CUSTODY, CLOCK],
      useFactory: (custody: KeyCustody, clock: Clock) =>
        new CertificateIssuer({
          custody,
          now: () => clock.now(),
          randomBytes: (n) => new Uint8Array(randomBytes(n)),
        }),
    },
    StationAuthenticator,
    InitializeManufacturerPki,
    GetManufacturerPki,
    CreateStation,
    ListStations,
    RevokeStation,
    SetRendezvousDirectives,
    GetRendezvousDirectives,
    StartDeviceInitialization,
    CompleteDeviceInitialization,
    {
      provide: FDO_MESSAGE_HANDLERS,
      inject: [StartDeviceInitialization, CompleteDeviceInitialization, DiFailureRecorder],
      useFactory: (
        start: StartDeviceInitialization,
        complete: CompleteDeviceInitialization,
        failures: DiFailureRecorder,
      ) => withFailureRecorder(diMessageHandlers(start, complete), failures.record),
    },
    DiFailureRecorder,
  ],
  exports: [InitializeManufacturerPki, CreateStation],
})
export class ManufacturingModule {}
