import { type AppDescriptor } from '@ztp/platform';
import { VoucherServiceModule } from './voucher-service.module';

export const VOUCHER_SERVICE_APP: AppDescriptor = {
  name: 'voucher-service',
  title: 'ZTP voucher service',
  description:
    'FDO device initialization (DI), the ownership voucher ledger and transfers, and TO0 scheduling.',
  module: VoucherServiceModule,
  endpoint: (config) => config.apps.voucherService,
  servesFdo: true,
  rawBodyTypes: ['application/cbor'],
  servesConsole: true,
};
