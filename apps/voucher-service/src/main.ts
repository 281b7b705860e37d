import { runApp, runMain } from '@ztp/platform';
import { VOUCHER_SERVICE_APP } from './voucher-service.app';

runMain(() => runApp(VOUCHER_SERVICE_APP));
