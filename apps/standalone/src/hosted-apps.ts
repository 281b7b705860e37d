/* eslint-disable @nx/enforce-module-boundaries -- the all-in-one launcher exists to compose the apps,
   so this one file imports them; no other project may. */
import { type AppDescriptor } from '@ztp/platform';
import { OWNER_ONBOARDING_APP } from '../../owner-onboarding/src/owner-onboarding.app';
import { RENDEZVOUS_APP } from '../../rendezvous/src/rendezvous.app';
import { VOUCHER_SERVICE_APP } from '../../voucher-service/src/voucher-service.app';
import { WORKER_MODULE } from '../../worker/src/worker.module';

/** The apps the launcher hosts, in start order. */
export const HOSTED_APPS: readonly AppDescriptor[] = [
  RENDEZVOUS_APP,
  VOUCHER_SERVICE_APP,
  OWNER_ONBOARDING_APP,
];
export { WORKER_MODULE };
export { demoCredentialsNotice } from '../../voucher-service/src/seed/demo-seed';
