import { SZTP_RAW_BODY_TYPES } from '@ztp/persistence';
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
  rawBodyTypes: ['application/cbor', OCSP_REQUEST_TYPE, ...SZTP_RAW_BODY_TYPES],
};
