import { Inject, Injectable } from '@nestjs/common';
import { IdempotencyRecordEntity } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { DataSource } from 'typeorm';

/** How long a first request may run before a retry with its key is taken as abandoned. */
export const IDEMPOTENCY_LEASE_MS = 5 * 60_000;
/** How long a completed outcome is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export type Claim =
  /** This request runs; record its outcome with complete() or release it with release(). */
  | { kind: 'run' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

/**
 * Idempotency records in Postgres. `claim` atomically either reserves the key for this request,
 * or reports the first request's outcome (or that it is still running, or that the key was used
 * for a different request). Expired records are replaced, and swept now and then.
 */
@Injectable()
export class IdempotencyStore {
  private claimsSinceSweep = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async claim(scope: string, key: string, fingerprint: string): Promise<Claim> {
    await this.sweepNowAndThen();
    const now = this.clock.now();
    const leaseEnd = new Date(now.getTime() + IDEMPOTENCY_LEASE_MS);
    // Insert, or take over an expired record (a completed one past its TTL, or an abandoned run).
    const claimed: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_record (scope, idempotency_key, fingerprint, state, created_at, expires_at)
       VALUES ($1, $2, $3, 'in-progress', $4, $5)
       ON CONFLICT (scope, idempotency_key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, state = 'in-progress', response_status = NULL,
             response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
         WHERE idempotency_record.expires_at <= $4
       RETURNING scope`,
      [scope, key, fingerprint, now, leaseEnd],
    );
    if (claimed.length > 0) return { kind: 'run' };
    const existing = await this.dataSource
      .getRepository(IdempotencyRecordEntity)
      .findOneBy({ scope, idempotencyKey: key });
    // Deleted in between (the first request failed): let the caller try again.
    if (!existing) return this.claim(scope, key, fingerprint);
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (existing.state === 'in-progress') return { kind: 'in-progress' };
    return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody };
  }

  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.getRepository(IdempotencyRecordEntity).update(
      { scope, idempotencyKey: key },
      {
        state: 'completed',
        responseStatus: status,
        responseBody: (body === undefined ? null : body) as object,
        expiresAt: new Date(this.clock.now().getTime() + IDEMPOTENCY_TTL_MS),
      },
    );
  }

  /** Forgets a claim whose request failed, so the client may retry it with the same key. */
  async release(scope: string, key: string): Promise<void> {
    await this.dataSource
      .getRepository(IdempotencyRecordEntity)
      .delete({ scope, idempotencyKey: key, state: 'in-progress' });
  }

  private async sweepNowAndThen(): Promise<void> {
    if (++this.claimsSinceSweep < 100) return;
    this.claimsSinceSweep = 0;
    await this.dataSource.query(
      `DELETE FROM idempotency_record WHERE ctid IN (
         SELECT ctid FROM idempotency_record WHERE expires_at <= $1 LIMIT 1000)`,
      [this.clock.now()],
    );
  }
}
