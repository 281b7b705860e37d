import { runApp, runMain } from '@ztp/platform';
import { RENDEZVOUS_APP } from './rendezvous.app';

runMain(() => runApp(RENDEZVOUS_APP));
