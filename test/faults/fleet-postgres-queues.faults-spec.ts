import { faultDrill } from './fleet-drill';

// The embedded default's shape: the queues in PostgreSQL (no Redis to kill).
faultDrill('postgres');
