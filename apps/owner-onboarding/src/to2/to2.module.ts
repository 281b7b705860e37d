import { Module } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG, FDO_MESSAGE_HANDLERS, withFailureRecorder } from '@ztp/platform';
import { QueueModule, WebhookEventsModule } from '@ztp/queue';
import { CertificatesModule } from '../certificates/certificates.module';
import { BundleDelivery } from '../service-info/bundle-delivery';
import { DeviceUploads } from '../service-info/device-uploads';
import { DeliveryOutcomes } from './messages/delivery-outcomes';
import { DeviceServiceInfo } from './messages/device-service-info';
import { Done } from './messages/done';
import { HelloDevice } from './messages/hello-device';
import { OvNextEntry } from './messages/ov-next-entry';
import { ProveDevice } from './messages/prove-device';
import { ServiceInfoReady } from './messages/service-info-ready';
import { DeviceTrust } from './owner/device-trust';
import { EtmKeySizesLedger } from './owner/etm-key-sizes';
import { OnboardingCompletion } from './owner/onboarding-completion';
import { OwnerKex } from './owner/owner-kex';
import { OwnerSigners } from './owner/owner-signers';
import { OwnerVouchers } from './owner/owner-vouchers';
import { ReplacementCredentials } from './owner/replacement-credentials';
import { SessionSealer } from './session/session-sealer';
import { To2SessionStore } from './session/session-store';
import { To2FailureRecorder } from './to2-failure-recorder';
import { To2Handlers } from './to2-handlers';
import { To2Maintenance } from './to2-maintenance';
import { SESSION_SEALER } from './to2.tokens';

/** FDO TO2 (messages 60-71) on the shared endpoint POST /fdo/101/msg/{60,62,64,66,68,70}. */
@Module({
  imports: [QueueModule, WebhookEventsModule, CertificatesModule],
  providers: [
    {
      provide: SESSION_SEALER,
      inject: [APP_CONFIG],
      // Preview mode (OpenAPI generation) has no configuration and never serves TO2.
      useFactory: (config: AppConfig | undefined) =>
        config
          ? new SessionSealer(new Uint8Array(Buffer.from(config.keyCustody.masterKey, 'base64')))
          : undefined,
    },
    To2SessionStore,
    OwnerVouchers,
    OwnerSigners,
    DeviceTrust,
    OwnerKex,
    ReplacementCredentials,
    OnboardingCompletion,
    BundleDelivery,
    DeviceUploads,
    DeliveryOutcomes,
    HelloDevice,
    OvNextEntry,
    ProveDevice,
    EtmKeySizesLedger,
    ServiceInfoReady,
    DeviceServiceInfo,
    Done,
    To2Handlers,
    To2Maintenance,
    {
      provide: FDO_MESSAGE_HANDLERS,
      inject: [To2Handlers, To2FailureRecorder],
      useFactory: (handlers: To2Handlers, failures: To2FailureRecorder) =>
        withFailureRecorder(handlers.handlers(), failures.record),
    },
    To2FailureRecorder,
  ],
})
export class To2Module {}
