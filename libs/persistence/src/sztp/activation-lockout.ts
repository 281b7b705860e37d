import { type DataSource } from 'typeorm';
import { AuditLog } from '../ledger/audit-log';
import { type SztpAuthFailureScope } from './sztp-auth-failure.entity';

/** How many failed activation codes lock what, for how long. */
export interface ActivationLockoutPolicy {
  /** Failures per serial number within `windowMs` that lock the serial number. Default 10. */
  readonly perSerial: number;
  /** Failures from one source address within `windowMs` that lock the address. Default 100. */
  readonly perSource: number;
  /** Counting window. Default 15 minutes. */
  readonly windowMs: number;
  /** How long a lockout lasts. Default 15 minutes. */
  readonly lockoutMs: number;
}

export const DEFAULT_ACTIVATION_LOCKOUT: ActivationLockoutPolicy = {
  perSerial: 10,
  perSource: 100,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
};

/** A serial number or source address is locked out; the device hears when to try again. */
export interface ActiveLockout {
  readonly scope: SztpAuthFailureScope;
  readonly retryAfterSeconds: number;
}

/**
 * Activation codes are short secrets people type: without a limit they can be guessed (400 guesses
 * at 16/s went through, and the right code still worked after). Failures are counted in PostgreSQL
 * per serial number and per source address (every replica of both SZTP servers sees the same counts);
 * at the limit the serial number or address is locked for `lockoutMs`, during which even the right
 * code is refused, and the lockout of a serial number is audited on the tenant of each device type
 * that has it. A success clears the serial number's count (not the address's).
 */
export class ActivationLockout {
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date,
    private readonly policy: ActivationLockoutPolicy = DEFAULT_ACTIVATION_LOCKOUT,
  ) {
    this.audit = new AuditLog(now);
  }

  /** The lockout in force for this serial number or source, if any. */
  async active(serialNumber: string, source: string | undefined): Promise<ActiveLockout | undefined> {
    const now = this.now();
    const rows: { scope: SztpAuthFailureScope; locked_until: Date }[] = await this.dataSource.query(
      `SELECT scope, locked_until FROM sztp_auth_failure
        WHERE locked_until > $1 AND ((scope = 'serial' AND subject = $2) OR (scope = 'source' AND subject = $3))
        ORDER BY locked_until DESC LIMIT 1`,
      [now, serialNumber, source ?? ''],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      scope: row.scope,
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((new Date(row.locked_until).getTime() - now.getTime()) / 1000),
      ),
    };
  }

  /** Counts a failed code; returns the lockout it started, if it started one. */
  async failed(serialNumber: string, source: string | undefined): Promise<ActiveLockout | undefined> {
    let started: ActiveLockout | undefined;
    const serial = await this.count('serial', serialNumber, this.policy.perSerial);
    if (serial) {
      started = serial;
      await this.auditSerialLockout(serialNumber, source);
    }
    if (source !== undefined && source !== '') {
      const bySource = await this.count('source', source, this.policy.perSource);
      started ??= bySource;
    }
    return started;
  }

  /** The right code: the serial number's failures are forgotten. */
  async succeeded(serialNumber: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM sztp_auth_failure WHERE scope = 'serial' AND subject = $1`, [
      serialNumber,
    ]);
  }

  private async count(
    scope: SztpAuthFailureScope,
    subject: string,
    limit: number,
  ): Promise<ActiveLockout | undefined> {
    const now = this.now();
    const windowStart = new Date(now.getTime() - this.policy.windowMs);
    const lockedUntil = new Date(now.getTime() + this.policy.lockoutMs);
    // One statement, so replicas counting the same subject at once neither lose a failure nor lock twice.
    const rows: { failures: number; locked: boolean }[] = await this.dataSource.query(
      `INSERT INTO sztp_auth_failure AS f (scope, subject, window_started_at, failures, locked_until)
       VALUES ($1, $2, $3, 1, CASE WHEN 1 >= $5 THEN $4::timestamptz END)
       ON CONFLICT (scope, subject) DO UPDATE SET
         window_started_at = CASE WHEN f.window_started_at <= $6 THEN $3 ELSE f.window_started_at END,
         failures = CASE WHEN f.window_started_at <= $6 THEN 1 ELSE f.failures + 1 END,
         locked_until = CASE
           WHEN (CASE WHEN f.window_started_at <= $6 THEN 1 ELSE f.failures + 1 END) = $5 THEN $4::timestamptz
           ELSE f.locked_until END
       RETURNING failures, (failures = $5) AS locked`,
      [scope, subject, now, lockedUntil, limit, windowStart],
    );
    if (rows[0]?.locked !== true) return undefined;
    return { scope, retryAfterSeconds: Math.ceil(this.policy.lockoutMs / 1000) };
  }

  private async auditSerialLockout(serialNumber: string, source: string | undefined): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const tenants: { tenant_id: string }[] = await manager.query(
        `SELECT DISTINCT t.tenant_id FROM sztp_device d JOIN sztp_device_type t ON t.id = d.device_type_id
          WHERE d.serial_number = $1 ORDER BY t.tenant_id`,
        [serialNumber],
      );
      for (const { tenant_id: tenantId } of tenants) {
        await this.audit.append(manager, {
          tenantId,
          eventType: 'sztp.activation-code.locked',
          subject: serialNumber,
          actor: source ? `address:${source}` : null,
          data: {
            serialNumber,
            failures: this.policy.perSerial,
            lockedForSeconds: Math.ceil(this.policy.lockoutMs / 1000),
          },
        });
      }
    });
  }
}
