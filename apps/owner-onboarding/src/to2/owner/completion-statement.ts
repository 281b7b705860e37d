/**
 * The ledger writes of a completed TO2 as ONE statement (data-modifying CTEs run in one round trip
 * and one snapshot): the session closes (guarded by its version, so a Done is applied once), the
 * old voucher is retired and the replacement inserted (with an owner_key row for a new Owner2Key),
 * the device moves to its new GUID and `onboarded`, its devmod is stored and its bundle marked
 * delivered. Every part after the session is conditional on the session update, so a duplicate
 * Done changes nothing. The caller checks the returned counts and runs it inside the transaction
 * that also appends the audit events.
 */
export const COMPLETION_STATEMENT = `
WITH
  session AS (
    UPDATE to2_session SET stage = 'done', version = version + 1, state = $3, updated_at = $4
     WHERE token_hash = $1 AND version = $2
    RETURNING 1
  ),
  retired AS (
    UPDATE voucher SET status = 'retired', updated_at = $4
     WHERE id = $7 AND status = 'active' AND $20 AND EXISTS (SELECT 1 FROM session)
    RETURNING id
  ),
  replacement AS (
    INSERT INTO voucher (device_id, guid, cbor, num_entries, owner_key_sha256, holder_tenant_id, status,
                         replaces_voucher_id, created_at, updated_at)
    SELECT $6, $8, $10, 0, $11, $5, 'active', $7, $4, $4
     WHERE $9 AND EXISTS (SELECT 1 FROM session)
    RETURNING id
  ),
  owner2 AS (
    INSERT INTO owner_key (tenant_id, name, spec, custody_key_id, public_key_spki, public_key_sha256, created_at)
    SELECT $5, $13, $14, $15, $16, $11, $4
     WHERE $12 AND EXISTS (SELECT 1 FROM session)
    RETURNING 1
  ),
  device AS (
    UPDATE device SET guid = $8, lifecycle = 'onboarded', updated_at = $4
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
  )
SELECT (SELECT count(*) FROM session)::int AS sessions,
       (SELECT count(*) FROM retired)::int AS retired,
       (SELECT id FROM replacement) AS replacement_id,
       (SELECT count(*) FROM owner2)::int AS owner_keys,
       (SELECT count(*) FROM device)::int AS devices,
       (SELECT count(*) FROM devmod)::int AS devmods,
       (SELECT count(*) FROM bundle)::int AS bundles`;

export interface CompletionCounts {
  sessions: number;
  retired: number;
  replacement_id: string | null;
  owner_keys: number;
  devices: number;
}
