import { runMain, runWorker } from '@ztp/platform';
import { WORKER_MODULE } from './worker.module';

runMain(() => runWorker(WORKER_MODULE));
