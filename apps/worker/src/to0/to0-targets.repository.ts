import { Injectable } from '@nestjs/common';
import { reonboardingPolicySql, To0StateEntity, to0RegistersSql } from '@ztp/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Which vouchers automatic TO0 applies to, as SQL over the ledger: an active voucher held by an
 * owner tenant with at least one owner-onboarding address, for a device that its holder has not
 * onboarded (owned: also after a resale), or has and whose re-onboarding policy (the device's, its
 * groups', its owner's: reonboardingPolicySql) is `same-owner`, or `on-request` and armed (then the
 * voucher TO2 left active, the replacement or, under credential reuse, the same one, stays
 * registered so a reset device comes back).
 * Deciding from the ledger's current state (not from events) makes it robust to however the
 * holder changed: import, transfer, acceptance, a settings edit.
 */
const ELIGIBLE_FROM = `
  FROM voucher v
  JOIN tenant t ON t.id = v.holder_tenant_id
  JOIN device d ON d.id = v.device_id`;
const ELIGIBLE_WHERE = `
 WHERE v.status = 'active' AND t.kind = 'owner'
   AND ${to0RegistersSql('d', 't')}
   AND jsonb_typeof(t.settings -> 'ownerOnboarding') = 'array'
   AND jsonb_array_length(t.settings -> 'ownerOnboarding') > 0`;
const ELIGIBLE = `${ELIGIBLE_FROM} ${ELIGIBLE_WHERE}`;

/** Why TO0 does not apply to a voucher (over ELIGIBLE_FROM's rows), in the words the owner acts on. */
const STOP_REASON = `CASE
    WHEN v.status <> 'active' THEN 'stopped: the voucher is ' || v.status
    WHEN t.kind <> 'owner' THEN 'stopped: the voucher is held by a ' || t.kind || ' tenant, not an owner'
    WHEN d.lifecycle IN ('disabled', 'decommissioned', 'manufactured') THEN 'stopped: the device is ' || d.lifecycle
    WHEN jsonb_typeof(t.settings -> 'ownerOnboarding') IS DISTINCT FROM 'array'
         OR jsonb_array_length(t.settings -> 'ownerOnboarding') = 0
      THEN 'stopped: the holder has no onboarding address to register (set settings.ownerOnboarding)'
    WHEN d.lifecycle = 'onboarded'
      THEN 'stopped: the device onboarded and its re-onboarding policy is '
           || ${reonboardingPolicySql('d', 't')}
           || CASE WHEN ${reonboardingPolicySql('d', 't')} = 'on-request' THEN ' (not armed)' ELSE '' END
    ELSE 'stopped' END`;

/**
 * What a registration is made for: holder, owner key, owner addresses and requested lifetime.
 * A state whose digest differs was made for something else and is due again at once.
 */
const TARGET_DIGEST = `md5(concat_ws('|', v.owner_key_sha256, v.holder_tenant_id::text,
  (t.settings -> 'ownerOnboarding')::text, t.settings ->> 'to0WaitSeconds'))`;

export interface To0VoucherContext {
  voucherId: string;
  deviceId: string;
  guid: string;
  cbor: Buffer;
  holderTenantId: string;
  ownerKeySha256: string;
  tenantSettings: Record<string, unknown>;
  targetDigest: string;
  /** The holder's key in custody for this owner key, if any. */
  ownerKey: { custodyKeyId: string; tenantId: string; retired: boolean } | null;
}

@Injectable()
export class To0TargetsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Vouchers to run TO0 for now: never tried, due (retry or renewal), stopped before, or changed. */
  async findDue(now: Date, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT v.id ${ELIGIBLE}
          AND (NOT EXISTS (SELECT 1 FROM to0_state s WHERE s.voucher_id = v.id)
               OR EXISTS (SELECT 1 FROM to0_state s
                           WHERE s.voucher_id = v.id AND s.status <> 'unsupported'
                             AND (s.status = 'stopped' OR s.next_attempt_at <= $1
                                  OR s.target_digest IS DISTINCT FROM ${TARGET_DIGEST})))
        ORDER BY v.id LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Marks stopped every state whose voucher TO0 no longer applies to (onboarded, transferred...),
   * with the reason in `last_error` (what the device status shows).
   */
  async stopIneligible(): Promise<number> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [, stopped]: [unknown[], number] = await this.dataSource.query(
      `UPDATE to0_state s SET status = 'stopped', next_attempt_at = NULL, updated_at = now(),
              last_error = (SELECT ${STOP_REASON} ${ELIGIBLE_FROM} WHERE v.id = s.voucher_id)
        WHERE s.status <> 'stopped'
          AND NOT EXISTS (SELECT 1 ${ELIGIBLE} AND v.id = s.voucher_id)`,
    );
    return stopped;
  }

  /** The voucher with what TO0 needs, or null when TO0 does not apply to it (now). */
  async loadEligible(voucherId: string): Promise<To0VoucherContext | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT v.id, v.device_id, v.guid, v.cbor, v.holder_tenant_id, v.owner_key_sha256, t.settings,
              ${TARGET_DIGEST} AS target_digest,
              k.custody_key_id, k.tenant_id AS key_tenant_id, k.retired_at
         ${ELIGIBLE_FROM}
         LEFT JOIN owner_key k ON k.public_key_sha256 = v.owner_key_sha256
         ${ELIGIBLE_WHERE} AND v.id = $1`,
      [voucherId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      voucherId: row['id'] as string,
      deviceId: row['device_id'] as string,
      guid: row['guid'] as string,
      cbor: row['cbor'] as Buffer,
      holderTenantId: row['holder_tenant_id'] as string,
      ownerKeySha256: row['owner_key_sha256'] as string,
      tenantSettings: row['settings'] as Record<string, unknown>,
      targetDigest: row['target_digest'] as string,
      ownerKey:
        row['custody_key_id'] === null
          ? null
          : {
              custodyKeyId: row['custody_key_id'] as string,
              tenantId: row['key_tenant_id'] as string,
              retired: row['retired_at'] !== null,
            },
    };
  }

  async states(voucherId: string): Promise<To0StateEntity[]> {
    return this.dataSource.getRepository(To0StateEntity).findBy({ voucherId });
  }

  /** Inserts or updates the state of one voucher at one URL. */
  async saveState(manager: EntityManager, state: Omit<To0StateEntity, 'id' | 'updatedAt'>): Promise<void> {
    await manager
      .getRepository(To0StateEntity)
      .upsert({ ...state, updatedAt: new Date() }, { conflictPaths: ['voucherId', 'rvUrl'] });
  }

  /** Marks every state of the voucher stopped, with the reason. */
  async stop(voucherId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE to0_state s SET status = 'stopped', next_attempt_at = NULL, updated_at = now(),
              last_error = (SELECT ${STOP_REASON} ${ELIGIBLE_FROM} WHERE v.id = s.voucher_id)
        WHERE voucher_id = $1 AND status <> 'stopped'`,
      [voucherId],
    );
  }
}
