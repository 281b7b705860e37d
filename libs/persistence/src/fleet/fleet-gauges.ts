import { type EntityManager } from 'typeorm';

/** What the worker's /metrics reads from the ledger at each scrape. */
export interface FleetGaugeValues {
  /** TO0 states by status (pending, registered, failed, unsupported, stopped). */
  to0ByStatus: Record<string, number>;
  /** How far the most overdue TO0 attempt or renewal is behind its schedule, seconds (0: none due). */
  to0LagSeconds: number;
  /** Webhook deliveries by status (pending, delivered, failed...). */
  webhookDeliveriesByStatus: Record<string, number>;
  /** Certificates issued to devices: FDO operational (active, revoked), SZTP LDevIDs. */
  certificates: { kind: string; count: number }[];
  /** Onboarding outcomes recorded as device events, by protocol, type and result. */
  deviceEvents: { protocol: string; eventType: string; result: string; count: number }[];
}

/** One round trip per scrape; each count is an index or small-table scan. */
export async function readFleetGauges(manager: EntityManager, now: Date): Promise<FleetGaugeValues> {
  const [to0, lag, webhooks, events, certificates]: [
    { status: string; n: number }[],
    { lag: number | null }[],
    { status: string; n: number }[],
    { protocol: string; event_type: string; result: string; n: number }[],
    { kind: string; n: number }[],
  ] = await Promise.all([
    manager.query(`SELECT status, count(*)::int AS n FROM to0_state GROUP BY status`),
    manager.query(
      `SELECT extract(epoch FROM ($1::timestamptz - min(next_attempt_at)))::float8 AS lag
         FROM to0_state WHERE next_attempt_at IS NOT NULL AND next_attempt_at < $1`,
      [now],
    ),
    manager.query(`SELECT status, count(*)::int AS n FROM webhook_delivery GROUP BY status`),
    manager.query(
      `SELECT protocol, event_type, result, sum(repeats)::int AS n FROM device_event
        GROUP BY protocol, event_type, result`,
    ),
    manager.query(
      `SELECT CASE WHEN revoked_at IS NULL THEN 'fdo-operational' ELSE 'fdo-operational-revoked' END AS kind,
              count(*)::int AS n FROM issued_certificate GROUP BY 1
       UNION ALL SELECT 'sztp-ldevid', count(*)::int FROM sztp_ldevid`,
    ),
  ]);
  return {
    to0ByStatus: Object.fromEntries(to0.map((row) => [row.status, row.n])),
    to0LagSeconds: Math.max(0, lag[0]?.lag ?? 0),
    webhookDeliveriesByStatus: Object.fromEntries(webhooks.map((row) => [row.status, row.n])),
    certificates: certificates.map((row) => ({ kind: row.kind, count: row.n })),
    deviceEvents: events.map((row) => ({
      protocol: row.protocol,
      eventType: row.event_type,
      result: row.result,
      count: row.n,
    })),
  };
}
