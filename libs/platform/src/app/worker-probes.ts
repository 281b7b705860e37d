import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type INestApplicationContext } from '@nestjs/common';
import { type FleetGaugeValues, readFleetGauges } from '@ztp/persistence';
import { JobQueues, type QueueBackend, QueueWorkerStatus } from '@ztp/queue';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { limitConnections } from '../http/connection-limits';
import { KEY_CUSTODY_OPERATIONS } from '../ports/metered-key-custody';

const CHECK_TIMEOUT_MS = 2000;
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** The worker's HTTP side: liveness, readiness and metrics, nothing else. */
export interface WorkerProbes {
  readonly server: Server;
  readonly registry: Registry;
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The worker's metrics: process defaults, and what an operator of a fleet needs from the queue side,
 * read at each scrape (from the queues and the ledger, so they hold across restarts and replicas):
 * jobs per queue and state, failed jobs per queue since start, TO0 registrations by status and how
 * far TO0 lags behind its schedule, webhook deliveries by status, device events by type and result.
 */
export function workerRegistry(context: INestApplicationContext): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'worker' });
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(KEY_CUSTODY_OPERATIONS);
  const status = context.get(QueueWorkerStatus, { strict: false });
  const queues = context.get(JobQueues, { strict: false });
  const dataSource = context.get(DataSource, { strict: false });
  new Gauge({
    name: 'ztp_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, prioritized, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const definition of status.queues) {
        const counts = await queues.get(definition).getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: definition.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Counter({
    name: 'ztp_queue_job_failures_total',
    help: 'Jobs that failed (each failed attempt) per queue, since this worker started',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [queue, failures] of status.failures) this.inc({ queue }, failures);
    },
  });
  new Gauge({
    name: 'ztp_queue_workers_running',
    help: '1 while the queue consumers run',
    registers: [registry],
    collect() {
      this.set(status.running ? 1 : 0);
    },
  });
  // The ledger is read once per scrape (within a second), shared by the gauges below.
  let cached: { at: number; values: Promise<FleetGaugeValues> } | undefined;
  const fleet = (): Promise<FleetGaugeValues> => {
    const now = Date.now();
    if (!cached || now - cached.at > 1000)
      cached = { at: now, values: readFleetGauges(dataSource.manager, new Date(now)) };
    return cached.values;
  };
  new Gauge({
    name: 'ztp_to0_registrations',
    help: 'Automatic TO0 states by status: registered (active), failed (failing), pending, unsupported, stopped',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const { to0ByStatus } = await fleet();
      for (const name of ['pending', 'registered', 'failed', 'unsupported', 'stopped'])
        this.set({ status: name }, to0ByStatus[name] ?? 0);
    },
  });
  new Gauge({
    name: 'ztp_to0_lag_seconds',
    help: 'How far the most overdue TO0 attempt or renewal is behind its schedule (0: none overdue)',
    registers: [registry],
    async collect() {
      this.set((await fleet()).to0LagSeconds);
    },
  });
  new Gauge({
    name: 'ztp_webhook_deliveries',
    help: 'Webhook deliveries by status (pending, delivered, failed)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const { webhookDeliveriesByStatus } = await fleet();
      for (const name of ['pending', 'delivered', 'failed'])
        this.set({ status: name }, webhookDeliveriesByStatus[name] ?? 0);
    },
  });
  new Gauge({
    name: 'ztp_certificates_issued',
    help: 'Certificates issued to devices, by kind: fdo-operational (TO2 fdo.csr), fdo-operational-revoked, sztp-ldevid',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const name of ['fdo-operational', 'fdo-operational-revoked', 'sztp-ldevid'])
        this.set({ kind: name }, 0);
      for (const row of (await fleet()).certificates) this.set({ kind: row.kind }, row.count);
    },
  });
  new Gauge({
    name: 'ztp_device_events',
    help: 'Device events recorded (repeats counted) by protocol, type (to2.failed, to1.failed, to0.failed, di.failed, to2.succeeded...) and result',
    labelNames: ['protocol', 'event_type', 'result'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of (await fleet()).deviceEvents)
        this.set({ protocol: row.protocol, event_type: row.eventType, result: row.result }, row.count);
    },
  });
  return registry;
}

/**
 * Serves GET /health (alive, and the queue consumers running), /health/ready (the database and the
 * queue backend answer: 503 and the failing check otherwise) and /metrics on `port`, for the probes
 * of a worker run alone (Helm, compose).
 */
export async function startWorkerProbes(
  context: INestApplicationContext,
  backend: QueueBackend,
  options: { port: number; host: string },
): Promise<WorkerProbes> {
  const registry = workerRegistry(context);
  const status = context.get(QueueWorkerStatus, { strict: false });
  const dataSource = context.get(DataSource, { strict: false });
  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.statusCode = code;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return json(res, 405, { status: 'error', message: 'only GET' });
    if (path === '/health')
      return status.running
        ? json(res, 200, { status: 'ok' })
        : json(res, 503, { status: 'error', message: 'the queue consumers are not running' });
    if (path === '/health/ready') {
      const checks: Record<string, { status: 'up' | 'down'; message?: string }> = {};
      const check = async (name: string, run: () => Promise<unknown>) => {
        try {
          await withTimeout(run(), name);
          checks[name] = { status: 'up' };
        } catch (err) {
          checks[name] = { status: 'down', message: (err as Error).message };
        }
      };
      await Promise.all([
        check('database', () => dataSource.query('SELECT 1')),
        check('queue', () => backend.ping()),
        check('workers', async () => {
          if (!status.running) throw new Error('the queue consumers are not running');
        }),
      ]);
      const ok = Object.values(checks).every((c) => c.status === 'up');
      return json(res, ok ? 200 : 503, { status: ok ? 'ok' : 'error', details: checks });
    }
    if (path === '/metrics') {
      const body = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      return res.end(body);
    }
    return json(res, 404, { status: 'error', message: 'not found' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      json(res, 500, { status: 'error', message: (err as Error).message }),
    );
  });
  limitConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
