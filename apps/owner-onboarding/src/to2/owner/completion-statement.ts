import { type AuditEventInput, auditAppendCtes } from '@ztp/persistence';
import { type WebhookPayload, webhookOutboxCte } from '@ztp/queue';

/** Everything the completion statement writes. */
export interface CompletionWrite {
  tokenHash: Buffer;
  /** The session version read for this message (the statement applies only while it is current). */
  version: number;
  /** What the closed session keeps as its state. */
  closedState: Buffer;
  now: Date;
  ownerTenantId: string;
  deviceId: string;
  voucherId: string;
  oldGuid: string;
  newGuid: string;
  /** Retire the old voucher here (false: no replacement, or the caller retired it first). */
  retire: boolean;
  /**
   * Require the old voucher still active and held by the session's owner (false only when the
   * caller retired it first, under the same check, in the same transaction).
   */
  checkVoucher: boolean;
  /**
   * The replacement voucher, with the id chosen for it and its owner key (Owner2Key: SPKI and its
   * SHA-256, hex); null under credential reuse.
   */
  replacement: { id: string; cbor: Buffer; ownerSpki: Buffer; ownerSha256: string } | null;
  /** The owner_key row for a new Owner2Key; null when the key is the current owner key. */
  owner2Key: { name: string; spec: string; custodyKeyId: string } | null;
  devmodJson: string | null;
  resultsJson: string;
  audit: Omit<AuditEventInput, 'tenantId'>[];
  /** The `device.onboarded` webhook event, written for each subscribed endpoint (the outbox). */
  webhook: WebhookPayload;
}

/** What the statement did. */
export interface CompletionCounts {
  sessions: number;
  /**
   * The old voucher was still active and held by the session's owner and is now locked (always 1
   * when `checkVoucher` is false).
   */
  vouchers_locked: number;
  devices_locked: number;
  retired: number;
  replacement_id: string | null;
  owner_keys: number;
  devices: number;
  audit_events: number;
  /** webhook_delivery ids to enqueue now that the statement has committed. */
  webhook_deliveries: string[];
}

/**
 * The ledger writes of a completed TO2 as ONE statement (data-modifying CTEs run in one round trip
 * and one snapshot, and a single statement is atomic by itself, so no BEGIN/COMMIT is needed):
 * the old voucher and the device rows are locked first, the session closes only if both are as
 * expected (the voucher active and still held by the session's owner, on the replacement and the
 * credential-reuse path alike: deleted or transferred meanwhile closes nothing; the device owned or
 * onboarded: not disabled, decommissioned or never owned) (guarded by its version too, so a Done is applied once), and every other part is
 * conditional on the session update: the old voucher is retired and the replacement inserted (with
 * an owner_key row for a new Owner2Key), the device moves to its new GUID and `onboarded` (an on-request re-onboarding arm is consumed), its
 * devmod is stored and its bundle marked delivered, the audit events are appended to the owner's
 * hash chain (tenant row locked last, as AuditLog.append does) and the `device.onboarded` webhook
 * deliveries written (webhookOutboxCte, as WebhookEvents.emit writes them; the caller enqueues them), and a
 * `to2.succeeded` device event closes the device's failures in its history (GET /v1/devices). Since
 * the rows are locked before the session closes, nothing that runs after it can find them
 * changed: either all of it is written or (duplicate, changed voucher or device) none of it.
 */
export function completionStatement(write: CompletionWrite): { sql: string; params: unknown[] } {
  const params: unknown[] = [
    write.tokenHash,
    write.version,
    write.closedState,
    write.now,
    write.ownerTenantId,
    write.deviceId,
    write.voucherId,
    write.newGuid,
    write.replacement !== null,
    write.replacement?.cbor ?? null,
    write.replacement?.ownerSha256 ?? null,
    write.owner2Key !== null,
    write.owner2Key?.name ?? null,
    write.owner2Key?.spec ?? null,
    write.owner2Key?.custodyKeyId ?? null,
    write.replacement?.ownerSpki ?? null,
    write.devmodJson,
    write.oldGuid,
    write.resultsJson,
    write.retire,
    write.replacement?.id ?? null,
    write.checkVoucher,
  ];
  const audit = auditAppendCtes({
    tenantId: write.ownerTenantId,
    events: write.audit,
    occurredAt: write.now,
    condition: 'EXISTS (SELECT 1 FROM session)',
    firstParam: params.length + 1,
  });
  params.push(...audit.params);
  const webhook = webhookOutboxCte(write.webhook, {
    name: 'webhook',
    condition: 'EXISTS (SELECT 1 FROM session)',
    firstParam: params.length + 1,
  });
  params.push(...webhook.params);
  const sql = `
WITH
  voucher_locked AS MATERIALIZED (
    SELECT id FROM voucher WHERE id = $7 AND status = 'active' AND holder_tenant_id = $5 AND $22
       FOR NO KEY UPDATE
  ),
  device_locked AS MATERIALIZED (
    SELECT id FROM device WHERE id = $6 AND lifecycle IN ('owned', 'onboarded') FOR NO KEY UPDATE
  ),
  session AS (
    UPDATE to2_session SET stage = 'done', version = version + 1, state = $3, updated_at = $4
     WHERE token_hash = $1 AND version = $2
       AND EXISTS (SELECT 1 FROM device_locked)
       AND (NOT $22 OR EXISTS (SELECT 1 FROM voucher_locked))
    RETURNING 1
  ),
  retired AS (
    UPDATE voucher SET status = 'retired', updated_at = $4
     WHERE id = $7 AND status = 'active' AND $20 AND EXISTS (SELECT 1 FROM session)
    RETURNING id
  ),
  replacement AS (
    INSERT INTO voucher (id, device_id, guid, cbor, num_entries, owner_key_sha256, holder_tenant_id, status,
                         replaces_voucher_id, created_at, updated_at)
    SELECT $21, $6, $8, $10, 0, $11, $5, 'active', $7, $4, $4
     WHERE $9 AND EXISTS (SELECT 1 FROM session)
    RETURNING id
  ),
  owner2 AS (
    INSERT INTO owner_key (tenant_id, name, spec, custody_key_id, public_key_spki, public_key_sha256, created_at, kind)
    SELECT $5, $13, $14, $15, $16, $11, $4, 'device'
     WHERE $12 AND EXISTS (SELECT 1 FROM session)
    RETURNING 1
  ),
  device AS (
    UPDATE device SET guid = $8, lifecycle = 'onboarded', reonboard_requested_at = NULL, updated_at = $4
     WHERE id = $6 AND EXISTS (SELECT 1 FROM session)
    RETURNING 1
  ),
  devmod AS (
    INSERT INTO device_devmod (device_id, owner_tenant_id, guid, devmod, received_at)
    SELECT $6, $5, $18, $17::jsonb, $4
     WHERE $17::text IS NOT NULL AND EXISTS (SELECT 1 FROM session)
    ON CONFLICT (device_id) DO UPDATE SET owner_tenant_id = EXCLUDED.owner_tenant_id, guid = EXCLUDED.guid,
      devmod = EXCLUDED.devmod, received_at = EXCLUDED.received_at
    RETURNING 1
  ),
  bundle AS (
    UPDATE config_bundle SET delivery_status = 'delivered', delivered_at = $4, results = $19::jsonb
     WHERE device_id = $6 AND owner_tenant_id = $5 AND EXISTS (SELECT 1 FROM session)
    RETURNING 1
  ),
  outcome AS (
    INSERT INTO device_event (device_id, tenant_id, guid, protocol, event_type, message_type, result, data,
                              occurred_at, last_occurred_at)
    SELECT $6, $5, $8, 'fdo', 'to2.succeeded', 70, 'succeeded', jsonb_build_object('previousGuid', $18::text), $4, $4
     WHERE EXISTS (SELECT 1 FROM session)
    RETURNING 1
  ),
  ${webhook.cte},
  ${audit.ctes}
SELECT (SELECT count(*) FROM session)::int AS sessions,
       (CASE WHEN $22 THEN (SELECT count(*) FROM voucher_locked) ELSE 1 END)::int AS vouchers_locked,
       (SELECT count(*) FROM device_locked)::int AS devices_locked,
       (SELECT count(*) FROM retired)::int AS retired,
       (SELECT id FROM replacement) AS replacement_id,
       (SELECT count(*) FROM owner2)::int AS owner_keys,
       (SELECT count(*) FROM device)::int AS devices,
       (SELECT count(*) FROM devmod)::int AS devmods,
       (SELECT count(*) FROM bundle)::int AS bundles,
       (SELECT count(*) FROM audit_events)::int AS audit_events,
       (SELECT count(*) FROM audit_head_moved)::int AS audit_heads,
       array(SELECT id::text FROM webhook) AS webhook_deliveries`;
  return { sql, params };
}
