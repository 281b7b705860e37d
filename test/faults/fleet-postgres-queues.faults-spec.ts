import { faultDrill } from './fleet-drill';

// The embedded default's shape: the queues in PostgreSQL (no Redis to kill). Opt-in
// (FAULTS_POSTGRES_QUEUES=1) until it passes: after the database restart the voucher service stops
// answering DI's SetHMAC (13 s and more, then the device's timeout) while the queue pool's
// clients are checked out by BullMQ's PostgreSQL backend; see CONTRIBUTING.md.
faultDrill('postgres', {
  skip: process.env['FAULTS_POSTGRES_QUEUES'] === '1' ? undefined : 'set FAULTS_POSTGRES_QUEUES=1',
});
