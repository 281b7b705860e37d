import { SZTP_RAW_BODY_TYPES } from '@ztp/persistence';
import { EST_MEDIA_TYPES } from '@ztp/pki';
import { type AppDescriptor } from '@ztp/platform';
import { OCSP_REQUEST_TYPE } from './certificates/revocation.controller';
import { OwnerOnboardingModule } from './owner-onboarding.module';

export const OWNER_ONBOARDING_APP: AppDescriptor = {
  name: 'owner-onboarding',
  title: 'ZTP owner onboarding',
  description: 'FDO owner onboarding (TO2) with ServiceInfo, and the SZTP bootstrap server.',
  module: OwnerOnboardingModule,
  endpoint: (config) => config.apps.ownerOnboarding,
  servesFdo: true,
  rawBodyTypes: ['application/cbor', OCSP_REQUEST_TYPE, EST_MEDIA_TYPES.pkcs10, ...SZTP_RAW_BODY_TYPES],
};
