import { sztp } from '@ztp/protocol';
import { type DataSource, type EntityManager } from 'typeorm';
import { type StoredSshHostKey, SztpDeviceEntity, type SztpBootstrapState } from './sztp-device.entity';
import { SztpProgressEventEntity, type SztpServerRole } from './sztp-progress-event.entity';

export interface SztpProgressReport {
  readonly deviceId: string;
  readonly server: SztpServerRole;
  readonly input: sztp.ReportProgressInput;
  readonly remoteAddress?: string;
}

/** The state a progress type leaves the device in; undefined: unchanged (warnings, informational). */
export function bootstrapStateAfter(progressType: sztp.ProgressType): SztpBootstrapState | undefined {
  if (progressType === 'bootstrap-complete') return 'complete';
  if (progressType === 'boot-image-installed-rebooting') return 'rebooting';
  if (sztp.TERMINAL_ERROR_PROGRESS_TYPES.includes(progressType)) return 'failed';
  if (progressType.endsWith('-warning') || progressType === 'informational') return undefined;
  return 'in-progress';
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** What was recorded, for work that must commit with it (webhooks through their outbox). */
export interface RecordedProgress {
  readonly device: SztpDeviceEntity;
  readonly event: SztpProgressEventEntity;
  readonly state: SztpBootstrapState;
}

/**
 * The per-device bootstrapping log: every report-progress call is kept as an event, and the device
 * row carries the current state, the last report and, from bootstrap-complete, the SSH host keys
 * and trust anchors it reported. Event and state change commit together.
 */
export class SztpProgressLog {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      now: () => Date;
      /** Runs in the report's transaction (e.g. raising device.onboarded on bootstrap-complete). */
      inTransaction?: (manager: EntityManager, recorded: RecordedProgress) => Promise<void>;
    },
  ) {}

  async record(
    report: SztpProgressReport,
  ): Promise<{ event: SztpProgressEventEntity; state: SztpBootstrapState }> {
    const receivedAt = this.deps.now();
    const { input } = report;
    const sshHostKeys: StoredSshHostKey[] | null =
      input.sshHostKeys?.map((key) => ({ algorithm: key.algorithm, keyData: base64(key.keyData) })) ?? null;
    const trustAnchorCerts = input.trustAnchorCerts?.map(base64) ?? null;
    return this.deps.dataSource.transaction(async (manager) => {
      const devices = manager.getRepository(SztpDeviceEntity);
      const device = await devices.findOne({
        where: { id: report.deviceId },
        lock: { mode: 'pessimistic_write' },
      });
      if (device === null) throw new Error(`no SZTP device ${report.deviceId}`);
      const holder: { holder_tenant_id: string }[] = await manager.query(
        `SELECT holder_tenant_id FROM sztp_voucher WHERE device_id = $1 AND status = 'active'`,
        [device.id],
      );
      const event = await manager.getRepository(SztpProgressEventEntity).save({
        deviceId: report.deviceId,
        holderTenantId: holder[0]?.holder_tenant_id ?? null,
        server: report.server,
        progressType: input.progressType,
        message: input.message ?? null,
        sshHostKeys,
        trustAnchorCerts,
        remoteAddress: report.remoteAddress ?? null,
        receivedAt,
      });
      const state = bootstrapStateAfter(input.progressType) ?? device.bootstrapState;
      const complete = input.progressType === 'bootstrap-complete';
      await devices.update(
        { id: device.id },
        {
          bootstrapState: state,
          lastProgressType: input.progressType,
          lastProgressAt: receivedAt,
          ...(complete ? { sshHostKeys, trustAnchorCerts, onboardedAt: receivedAt } : {}),
        },
      );
      await this.deps.inTransaction?.(manager, { device, event, state });
      return { event, state };
    });
  }
}

/**
 * The `device.onboarded` webhook event a bootstrap-complete report raises for the device's holder
 * (the same event FDO raises after TO2), or undefined for any other report.
 */
export function sztpOnboardedEvent(recorded: RecordedProgress):
  | {
      tenantId: string;
      type: 'device.onboarded';
      subject: string;
      data: Record<string, unknown>;
    }
  | undefined {
  const { device, event } = recorded;
  if (event.progressType !== 'bootstrap-complete' || event.holderTenantId === null) return undefined;
  return {
    tenantId: event.holderTenantId,
    type: 'device.onboarded',
    subject: `sztp-device:${device.id}`,
    data: {
      protocol: 'sztp',
      deviceId: device.id,
      serialNumber: device.serialNumber,
      sshHostKeys: event.sshHostKeys?.length ?? 0,
    },
  };
}
