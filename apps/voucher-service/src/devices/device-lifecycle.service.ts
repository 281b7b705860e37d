import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  afterCommit,
  CertificateRevocations,
  type DeviceLifecycle,
  reonboardingPolicySql,
  type ReonboardingPolicy,
  withdrawRegistrations,
} from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { type Clock, CLOCK, isUuid, KEY_CUSTODY } from '@ztp/platform';
import { JobQueues, requestTo0Registration, type WebhookEventType, WebhookEvents } from '@ztp/queue';
import { DataSource, type EntityManager } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { ledgerProblem } from '../vouchers/ledger-problems';

/** A device as its owner acts on it: the owner holds its active voucher. */
interface HeldDevice {
  deviceId: string;
  guid: string;
  originalGuid: string;
  lifecycle: DeviceLifecycle;
  voucherId: string;
  voucherGuid: string;
}

/** What a lifecycle operation answers. */
export interface DeviceLifecycleView {
  deviceId: string;
  guid: string;
  lifecycle: DeviceLifecycle;
  /** The state a disabled device goes back to when enabled; null unless disabled. */
  disabledFrom: DeviceLifecycle | null;
  /** The device's own re-onboarding override (null: its groups' or its owner's). */
  reonboarding: ReonboardingPolicy | null;
  /** The policy in force (device, else groups, else owner, else never). */
  effectiveReonboarding: ReonboardingPolicy;
  /** When an on-request re-onboarding was armed and not yet used. */
  reonboardRequestedAt: string | null;
}

/** The result of a group-wide disable or enable. */
export interface GroupLifecycleResult {
  groupId: string;
  /** The devices that moved. */
  changed: DeviceLifecycleView[];
  /** Members the owner holds that were already in the target state (or cannot move: decommissioned). */
  unchanged: number;
}

const DISABLE_FROM: readonly DeviceLifecycle[] = ['manufactured', 'owned', 'onboarded'];

/**
 * The owner's and the manufacturer's moves of the device state machine (ARCHITECTURE.md, "Device
 * lifecycle"): disable/enable (per device and per group), decommission, the on-request re-onboarding
 * arm and the per-device policy override, and the manufacturer's refurbish. Each move is a guarded
 * UPDATE (`WHERE lifecycle = <from>`, and the database's trigger refuses anything else), and writes
 * its audit event and webhook event in the same transaction; of two racing requests exactly one
 * moves the device, the other gets 409.
 */
@Injectable()
export class DeviceLifecycleService {
  private readonly revocations: CertificateRevocations;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: LedgerAudit,
    private readonly webhooks: WebhookEvents,
    private readonly queues: JobQueues,
    @Inject(KEY_CUSTODY) custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.revocations = new CertificateRevocations(dataSource, custody, () => clock.now());
  }

  async view(tenantId: string, guid: string): Promise<DeviceLifecycleView> {
    const device = await this.held(this.dataSource.manager, tenantId, guid, false);
    return this.viewOf(this.dataSource.manager, tenantId, device.deviceId);
  }

  /**
   * Disables a device: TO1 (its registrations at this rendezvous are withdrawn), TO2 and automatic
   * TO0 stop until it is enabled; its voucher, configuration and history stay.
   */
  disable(tenantId: string, guid: string, actor: string): Promise<DeviceLifecycleView> {
    return this.dataSource.transaction(async (manager) => {
      const device = await this.held(manager, tenantId, guid, true);
      await this.disableHeld(manager, tenantId, device, actor, true);
      return this.viewOf(manager, tenantId, device.deviceId);
    });
  }

  /** Enables a disabled device: back to the state it left, and registered again by TO0 if due. */
  enable(tenantId: string, guid: string, actor: string): Promise<DeviceLifecycleView> {
    return this.dataSource.transaction(async (manager) => {
      const device = await this.held(manager, tenantId, guid, true);
      await this.enableHeld(manager, tenantId, device, actor, true);
      return this.viewOf(manager, tenantId, device.deviceId);
    });
  }

  /** Disables (or enables) every member of a device group that the owner holds and can move. */
  async group(
    tenantId: string,
    groupId: string,
    action: 'disable' | 'enable',
    actor: string,
  ): Promise<GroupLifecycleResult> {
    return this.dataSource.transaction(async (manager) => {
      const group: { id: string }[] = isUuid(groupId)
        ? await manager.query(`SELECT id FROM device_group WHERE id = $1 AND owner_tenant_id = $2`, [
            groupId,
            tenantId,
          ])
        : [];
      if (group.length === 0) throw notFound('device group', groupId);
      const members: HeldDevice[] = (
        await manager.query(
          `SELECT d.id, d.guid, d.original_guid, d.lifecycle, v.id AS voucher_id, v.guid AS voucher_guid
             FROM device_group g
             JOIN voucher v ON v.holder_tenant_id = g.owner_tenant_id AND v.status = 'active'
             JOIN device d ON d.id = v.device_id
            WHERE g.id = $1
              AND (('guid:' || d.guid) = ANY (g.members) OR ('guid:' || d.original_guid) = ANY (g.members)
                   OR ('serial:' || d.serial_number) = ANY (g.members))
            ORDER BY d.id
              FOR NO KEY UPDATE OF d`,
          [groupId],
        )
      ).map(heldDevice);
      const changed: DeviceLifecycleView[] = [];
      for (const device of members) {
        const moved =
          action === 'disable'
            ? await this.disableHeld(manager, tenantId, device, actor, false, groupId)
            : await this.enableHeld(manager, tenantId, device, actor, false, groupId);
        if (moved) changed.push(await this.viewOf(manager, tenantId, device.deviceId));
      }
      return { groupId, changed, unchanged: members.length - changed.length };
    });
  }

  /**
   * Decommissions a device, for good: its voucher is retired, its registrations at this rendezvous
   * withdrawn, its operational certificates revoked (cessationOfOperation), and it moves to
   * `decommissioned`, all in one transaction. After it DI for its serial (until the manufacturer
   * refurbishes it), TO1, TO2 and automatic TO0 refuse it.
   */
  decommission(tenantId: string, guid: string, actor: string): Promise<DeviceLifecycleView> {
    return this.dataSource.transaction(async (manager) => {
      const device = await this.held(manager, tenantId, guid, true);
      const now = this.clock.now();
      // The row is locked (held), so the state read there is the one this UPDATE moves from.
      const [rows] = (await manager.query(
        `UPDATE device SET lifecycle = 'decommissioned', disabled_from = NULL,
                reonboard_requested_at = NULL, updated_at = $2
          WHERE id = $1 AND lifecycle = $3 AND lifecycle <> 'decommissioned'
          RETURNING $3::text AS from_state`,
        [device.deviceId, now, device.lifecycle],
      )) as [{ from_state: DeviceLifecycle }[], number];
      if (rows.length === 0) throw this.conflict(device, 'decommission');
      await manager.query(`UPDATE voucher SET status = 'retired', updated_at = $2 WHERE id = $1`, [
        device.voucherId,
        now,
      ]);
      const withdrawn = await withdrawRegistrations(manager, guidsOf(device));
      const revoked = await this.revocations.revoke(manager, {
        ownerTenantId: tenantId,
        target: { deviceId: device.deviceId },
        reason: 'cessationOfOperation',
        actor,
      });
      await this.moved(manager, tenantId, device, actor, 'device.decommissioned', {
        from: rows[0]!.from_state,
        to: 'decommissioned',
        voucherId: device.voucherId,
        registrationsWithdrawn: withdrawn,
        certificatesRevoked: revoked.map((certificate) => certificate.serialNumber),
      });
      return this.viewOf(manager, tenantId, device.deviceId);
    });
  }

  /**
   * Arms an on-request re-onboarding: automatic TO0 registers the device's active voucher again
   * until its next TO2 completes (which consumes the arm). Refused when the policy in force is
   * `never`; harmless under `same-owner` (it is registered anyway).
   */
  rearm(tenantId: string, guid: string, actor: string): Promise<DeviceLifecycleView> {
    return this.dataSource.transaction(async (manager) => {
      const device = await this.held(manager, tenantId, guid, true);
      if (device.lifecycle !== 'onboarded')
        throw ledgerProblem(
          409,
          'device-not-onboarded',
          'Device not onboarded',
          `the device is ${device.lifecycle}: only an onboarded device is armed for re-onboarding`,
        );
      const policy = await this.policyOf(manager, tenantId, device.deviceId);
      if (policy === 'never')
        throw ledgerProblem(
          409,
          'reonboarding-never',
          'Re-onboarding not allowed',
          "the device's re-onboarding policy is never; set it (device, group or owner) to on-request or same-owner first",
        );
      const now = this.clock.now();
      await manager.query(`UPDATE device SET reonboard_requested_at = $2, updated_at = $2 WHERE id = $1`, [
        device.deviceId,
        now,
      ]);
      await this.audit.record(manager, {
        tenantId,
        eventType: 'device.reonboarding-requested',
        subject: `device:${device.guid}`,
        actor,
        data: { deviceId: device.deviceId, voucherId: device.voucherId, policy },
      });
      afterCommit(manager, () => requestTo0Registration(this.queues, device.voucherId));
      return this.viewOf(manager, tenantId, device.deviceId);
    });
  }

  /** Sets (or, with null, clears) the device's own re-onboarding policy. */
  setReonboarding(
    tenantId: string,
    guid: string,
    policy: ReonboardingPolicy | null,
    actor: string,
  ): Promise<DeviceLifecycleView> {
    return this.dataSource.transaction(async (manager) => {
      const device = await this.held(manager, tenantId, guid, true);
      await manager.query(`UPDATE device SET reonboarding = $2, updated_at = $3 WHERE id = $1`, [
        device.deviceId,
        policy,
        this.clock.now(),
      ]);
      await this.audit.record(manager, {
        tenantId,
        eventType: 'device.reonboarding-set',
        subject: `device:${device.guid}`,
        actor,
        data: { deviceId: device.deviceId, reonboarding: policy },
      });
      afterCommit(manager, () => requestTo0Registration(this.queues, device.voucherId));
      return this.viewOf(manager, tenantId, device.deviceId);
    });
  }

  /**
   * The manufacturer's refurbish: lets the serial of its decommissioned device go through DI again
   * (as a new device with a new GUID; the decommissioned one stays as it is, for history). Nothing
   * else lets a decommissioned serial back.
   */
  async refurbish(
    manufacturerTenantId: string,
    serialNumber: string,
    actor: string,
  ): Promise<{ deviceId: string; guid: string; serialNumber: string; refurbishedAt: string }> {
    return this.dataSource.transaction(async (manager) => {
      const devices: { id: string; guid: string; lifecycle: DeviceLifecycle; refurbished_at: Date | null }[] =
        await manager.query(
          `SELECT id, guid, lifecycle, refurbished_at FROM device
            WHERE manufacturer_tenant_id = $1 AND serial_number = $2
            ORDER BY created_at DESC FOR NO KEY UPDATE`,
          [manufacturerTenantId, serialNumber],
        );
      if (devices.length === 0) throw notFound('device with serial number', serialNumber);
      const pending = devices.find(
        (device) => device.lifecycle === 'decommissioned' && !device.refurbished_at,
      );
      if (!pending)
        throw ledgerProblem(
          409,
          'device-not-decommissioned',
          'Device not decommissioned',
          devices.some((device) => device.lifecycle !== 'decommissioned')
            ? `the device with serial number ${serialNumber} is in service; only a decommissioned device is refurbished`
            : `the device with serial number ${serialNumber} is already refurbished`,
        );
      const now = this.clock.now();
      await manager.query(`UPDATE device SET refurbished_at = $2, updated_at = $2 WHERE id = $1`, [
        pending.id,
        now,
      ]);
      await this.audit.record(manager, {
        tenantId: manufacturerTenantId,
        eventType: 'device.refurbished',
        subject: `device:${pending.guid}`,
        actor,
        data: { deviceId: pending.id, serialNumber },
      });
      return { deviceId: pending.id, guid: pending.guid, serialNumber, refurbishedAt: now.toISOString() };
    });
  }

  /**
   * An SZTP device's move (the same state machine): disable, enable or decommission the device
   * whose active voucher the tenant holds. The SZTP servers refuse a disabled or decommissioned
   * device with a RESTCONF error (SztpAnswers.contextFor).
   */
  sztp(
    tenantId: string,
    deviceId: string,
    action: 'disable' | 'enable' | 'decommission',
    actor: string,
  ): Promise<{
    id: string;
    serialNumber: string;
    lifecycle: DeviceLifecycle;
    disabledFrom: DeviceLifecycle | null;
  }> {
    return this.dataSource.transaction(async (manager) => {
      const rows: { id: string; serial_number: string; lifecycle: DeviceLifecycle }[] = isUuid(deviceId)
        ? await manager.query(
            `SELECT d.id, d.serial_number, d.lifecycle FROM sztp_device d
               JOIN sztp_voucher v ON v.device_id = d.id AND v.status = 'active' AND v.holder_tenant_id = $2
              WHERE d.id = $1 FOR NO KEY UPDATE OF d`,
            [deviceId, tenantId],
          )
        : [];
      const device = rows[0];
      if (!device) throw notFound('SZTP device', deviceId);
      const sql = {
        disable: `UPDATE sztp_device SET lifecycle = 'disabled', disabled_from = lifecycle, updated_at = $2
                   WHERE id = $1 AND lifecycle IN ('manufactured', 'owned', 'onboarded') RETURNING lifecycle, disabled_from`,
        enable: `UPDATE sztp_device SET lifecycle = disabled_from, disabled_from = NULL, updated_at = $2
                  WHERE id = $1 AND lifecycle = 'disabled' RETURNING lifecycle, disabled_from`,
        decommission: `UPDATE sztp_device SET lifecycle = 'decommissioned', disabled_from = NULL, updated_at = $2
                        WHERE id = $1 AND lifecycle <> 'decommissioned' RETURNING lifecycle, disabled_from`,
      }[action];
      const [moved] = (await manager.query(sql, [device.id, this.clock.now()])) as [
        { lifecycle: DeviceLifecycle; disabled_from: DeviceLifecycle | null }[],
        number,
      ];
      if (moved.length === 0)
        throw ledgerProblem(
          409,
          device.lifecycle === 'decommissioned' ? 'device-decommissioned' : 'device-lifecycle-conflict',
          'Not allowed in this state',
          `the SZTP device is ${device.lifecycle}: it cannot ${action}`,
          { lifecycle: device.lifecycle },
        );
      const type =
        `device.${action === 'enable' ? 'enabled' : action === 'disable' ? 'disabled' : 'decommissioned'}` as const;
      const data = {
        sztpDeviceId: device.id,
        serialNumber: device.serial_number,
        from: device.lifecycle,
        to: moved[0]!.lifecycle,
      };
      const subject = `sztp-device:${device.id}`;
      await this.audit.record(manager, { tenantId, eventType: type, subject, actor, data });
      await this.webhooks.emit(manager, { tenantId, type, subject, data });
      return {
        id: device.id,
        serialNumber: device.serial_number,
        lifecycle: moved[0]!.lifecycle,
        disabledFrom: moved[0]!.disabled_from,
      };
    });
  }

  private async disableHeld(
    manager: EntityManager,
    tenantId: string,
    device: HeldDevice,
    actor: string,
    strict: boolean,
    groupId?: string,
  ): Promise<boolean> {
    const now = this.clock.now();
    const [rows] = (await manager.query(
      `UPDATE device SET lifecycle = 'disabled', disabled_from = lifecycle, updated_at = $2
        WHERE id = $1 AND lifecycle = ANY ($3::text[])
        RETURNING disabled_from AS from_state`,
      [device.deviceId, now, DISABLE_FROM],
    )) as [{ from_state: DeviceLifecycle }[], number];
    if (rows.length === 0) {
      if (strict) throw this.conflict(device, 'disable');
      return false;
    }
    const withdrawn = await withdrawRegistrations(manager, guidsOf(device));
    await this.moved(manager, tenantId, device, actor, 'device.disabled', {
      from: rows[0]!.from_state,
      to: 'disabled',
      registrationsWithdrawn: withdrawn,
      ...(groupId ? { groupId } : {}),
    });
    return true;
  }

  private async enableHeld(
    manager: EntityManager,
    tenantId: string,
    device: HeldDevice,
    actor: string,
    strict: boolean,
    groupId?: string,
  ): Promise<boolean> {
    const [rows] = (await manager.query(
      `UPDATE device SET lifecycle = disabled_from, disabled_from = NULL, updated_at = $2
        WHERE id = $1 AND lifecycle = 'disabled'
        RETURNING lifecycle AS to_state`,
      [device.deviceId, this.clock.now()],
    )) as [{ to_state: DeviceLifecycle }[], number];
    if (rows.length === 0) {
      if (strict) throw this.conflict(device, 'enable');
      return false;
    }
    await this.moved(manager, tenantId, device, actor, 'device.enabled', {
      from: 'disabled',
      to: rows[0]!.to_state,
      ...(groupId ? { groupId } : {}),
    });
    afterCommit(manager, () => requestTo0Registration(this.queues, device.voucherId));
    return true;
  }

  /** The audit event and the webhook event of one move, in the move's transaction. */
  private async moved(
    manager: EntityManager,
    tenantId: string,
    device: HeldDevice,
    actor: string,
    type: WebhookEventType & `device.${string}`,
    data: Record<string, unknown> & { from: string; to: string },
  ): Promise<void> {
    const payload = { deviceId: device.deviceId, guid: device.guid, ...data };
    await this.audit.record(manager, {
      tenantId,
      eventType: type,
      subject: `device:${device.guid}`,
      actor,
      data: payload,
    });
    await this.webhooks.emit(manager, { tenantId, type, subject: `device:${device.guid}`, data: payload });
  }

  private conflict(device: HeldDevice, action: string) {
    return ledgerProblem(
      409,
      'device-lifecycle-conflict',
      'Not allowed in this state',
      `the device is ${device.lifecycle}: it cannot ${action}`,
      { lifecycle: device.lifecycle },
    );
  }

  /**
   * The device with this GUID (current, original, or any of its vouchers') whose active voucher the
   * tenant holds, its row locked when `lock`. Another tenant's device, or one the tenant no longer
   * holds, is 404.
   */
  private async held(
    manager: EntityManager,
    tenantId: string,
    guid: string,
    lock: boolean,
  ): Promise<HeldDevice> {
    const key = guid.toLowerCase();
    const rows: Record<string, unknown>[] = /^[0-9a-f]{32}$/.test(key)
      ? await manager.query(
          `SELECT d.id, d.guid, d.original_guid, d.lifecycle, v.id AS voucher_id, v.guid AS voucher_guid
             FROM device d
             JOIN voucher v ON v.device_id = d.id AND v.status = 'active' AND v.holder_tenant_id = $1
            WHERE d.id IN (SELECT id FROM device WHERE guid = $2 OR original_guid = $2
                           UNION SELECT device_id FROM voucher WHERE guid = $2)
            ${lock ? 'FOR NO KEY UPDATE OF d' : ''}`,
          [tenantId, key],
        )
      : [];
    if (!rows[0]) {
      // A decommissioned device's voucher is retired: say so to the owner that decommissioned it.
      const retired: unknown[] = /^[0-9a-f]{32}$/.test(key)
        ? await manager.query(
            `SELECT 1 FROM device d JOIN voucher v ON v.device_id = d.id AND v.holder_tenant_id = $1
              WHERE d.lifecycle = 'decommissioned' AND (d.guid = $2 OR d.original_guid = $2 OR v.guid = $2)
                AND NOT EXISTS (SELECT 1 FROM voucher n WHERE n.device_id = d.id AND n.holder_tenant_id <> $1
                                                          AND n.created_at > v.created_at)
              LIMIT 1`,
            [tenantId, key],
          )
        : [];
      if (retired.length > 0)
        throw ledgerProblem(
          409,
          'device-decommissioned',
          'Device decommissioned',
          'the device is decommissioned (terminal): nothing more can be done with it',
          { lifecycle: 'decommissioned' },
        );
      throw notFound('device', guid);
    }
    return heldDevice(rows[0]);
  }

  private async policyOf(manager: EntityManager, tenantId: string, deviceId: string) {
    const [row]: { policy: ReonboardingPolicy }[] = await manager.query(
      `SELECT ${reonboardingPolicySql('d', 't')} AS policy FROM device d, tenant t WHERE d.id = $1 AND t.id = $2`,
      [deviceId, tenantId],
    );
    return row!.policy;
  }

  private async viewOf(
    manager: EntityManager,
    tenantId: string,
    deviceId: string,
  ): Promise<DeviceLifecycleView> {
    const [row]: Record<string, unknown>[] = await manager.query(
      `SELECT d.id, d.guid, d.lifecycle, d.disabled_from, d.reonboarding, d.reonboard_requested_at,
              ${reonboardingPolicySql('d', 't')} AS effective
         FROM device d, tenant t WHERE d.id = $1 AND t.id = $2`,
      [deviceId, tenantId],
    );
    return {
      deviceId: row!['id'] as string,
      guid: row!['guid'] as string,
      lifecycle: row!['lifecycle'] as DeviceLifecycle,
      disabledFrom: (row!['disabled_from'] as DeviceLifecycle | null) ?? null,
      reonboarding: (row!['reonboarding'] as ReonboardingPolicy | null) ?? null,
      effectiveReonboarding: row!['effective'] as ReonboardingPolicy,
      reonboardRequestedAt:
        row!['reonboard_requested_at'] === null
          ? null
          : new Date(row!['reonboard_requested_at'] as Date).toISOString(),
    };
  }
}

function heldDevice(row: Record<string, unknown>): HeldDevice {
  return {
    deviceId: row['id'] as string,
    guid: row['guid'] as string,
    originalGuid: row['original_guid'] as string,
    lifecycle: row['lifecycle'] as DeviceLifecycle,
    voucherId: row['voucher_id'] as string,
    voucherGuid: row['voucher_guid'] as string,
  };
}

/** Every GUID a registration for the device may be under (current, original, its voucher's). */
const guidsOf = (device: HeldDevice) => [...new Set([device.guid, device.originalGuid, device.voucherGuid])];
