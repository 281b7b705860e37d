import { SZTP_RAW_BODY_TYPES } from '@ztp/persistence';
import { type AppDescriptor } from '@ztp/platform';
import { RendezvousModule } from './rendezvous.module';

export const RENDEZVOUS_APP: AppDescriptor = {
  name: 'rendezvous',
  title: 'ZTP rendezvous',
  description: 'FDO rendezvous server (TO0 owner sign-in, TO1 device lookup) and SZTP redirect information.',
  module: RendezvousModule,
  endpoint: (config) => config.apps.rendezvous,
  servesFdo: true,
  rawBodyTypes: ['application/cbor', ...SZTP_RAW_BODY_TYPES],
};
