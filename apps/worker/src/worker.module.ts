import { QueueWorkersModule } from '@ztp/queue';
import { PROCESSORS, WORKER_IMPORTS } from './processors';

/** The queue consumers, run alone (main.ts) or inside the all-in-one launcher. */
export const WORKER_MODULE = QueueWorkersModule.forProcessors(PROCESSORS, WORKER_IMPORTS);
