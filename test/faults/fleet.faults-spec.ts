import { faultDrill } from './fleet-drill';

// Production's shape: the queues on Redis, which the drill kills too.
faultDrill('redis');
