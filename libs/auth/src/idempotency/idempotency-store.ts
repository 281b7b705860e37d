import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { IdempotencyRecordEntity } from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock } from '@ztp/platform';
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
  | { kind: 'mismatch' }
  /** Completed, but its sealed outcome does not open (the master key it was sealed under is gone). */
  | { kind: 'unreadable' };

/**
 * How a completed outcome sits in `response_body`: AES-256-GCM under a key derived from the
 * key-custody master key, bound to its scope and key (so rows cannot be swapped).
 * Outcomes carry secrets shown once (a new API key `ztp_...`, a webhook secret `whsec_...`), and a
 * replay must give the client the same answer; so they are kept sealed rather than redacted.
 */
interface SealedOutcome {
  readonly sealed: 'aes-256-gcm/v1';
  readonly data: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

const UNREADABLE = Symbol('unreadable');

/**
 * Idempotency records in Postgres. `claim` atomically either reserves the key for this request,
 * or reports the first request's outcome (or that it is still running, or that the key was used
 * for a different request). Expired records are replaced, and swept now and then.
 */
@Injectable()
export class IdempotencyStore {
  private claimsSinceSweep = 0;
  private readonly sealingKey: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sealingKey = Buffer.from(
      hkdfSync(
        'sha256',
        Buffer.from(config.keyCustody.masterKey, 'base64'),
        Buffer.alloc(0),
        'ztp idempotent responses v1',
        32,
      ),
    );
  }

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
    const body = this.open(existing);
    if (body === UNREADABLE) return { kind: 'unreadable' };
    return { kind: 'replay', status: existing.responseStatus ?? 200, body };
  }

  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.getRepository(IdempotencyRecordEntity).update(
      { scope, idempotencyKey: key },
      {
        state: 'completed',
        responseStatus: status,
        responseBody: (body === undefined ? null : this.seal(scope, key, body)) as object,
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

  private seal(scope: string, key: string, body: unknown): SealedOutcome {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey, iv);
    cipher.setAAD(Buffer.from(JSON.stringify([scope, key])));
    const text = cipher.update(JSON.stringify(body), 'utf8');
    const data = Buffer.concat([iv, text, cipher.final(), cipher.getAuthTag()]);
    return { sealed: 'aes-256-gcm/v1', data: data.toString('base64') };
  }

  private open(record: IdempotencyRecordEntity): unknown {
    const stored = record.responseBody as Partial<SealedOutcome> | null;
    if (stored === null || stored.sealed !== 'aes-256-gcm/v1' || typeof stored.data !== 'string') {
      return stored; // no body, or a row written before outcomes were sealed (gone within its 24 h)
    }
    const bytes = Buffer.from(stored.data, 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) return UNREADABLE;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealingKey, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(JSON.stringify([record.scope, record.idempotencyKey])));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const text = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return JSON.parse(text.toString('utf8')) as unknown;
    } catch {
      return UNREADABLE;
    }
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
