import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { type To2SessionStage } from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import { ErrorCode } from '@ztp/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { sqlRows } from '../../support/sql-rows';
import { SESSION_SEALER } from '../to2.tokens';
import { SessionSealer, SessionStateError } from './session-sealer';
import { decodeSessionState, encodeSessionState, type To2SessionState } from './session-state';
import { newSessionToken, sessionTokenHash } from './session-token';

/** A session as read for one message. */
export interface To2Session {
  readonly tokenHash: Buffer;
  readonly ownerTenantId: string;
  readonly deviceId: string;
  readonly voucherId: string;
  readonly stage: To2SessionStage;
  readonly version: number;
  readonly state: To2SessionState;
}

interface SessionRow {
  owner_tenant_id: string;
  device_id: string;
  voucher_id: string;
  stage: To2SessionStage;
  version: number;
  state: Buffer;
  expires_at: Date;
}

/**
 * Durable TO2 sessions in the to2_session table: each message costs one primary-key read and, when
 * it changes the session, one update guarded by the version read (optimistic concurrency), so a
 * message delivered twice, or to two replicas at once, is processed once.
 */
@Injectable()
export class To2SessionStore {
  private readonly ttlMs: number;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SESSION_SEALER) private readonly sealer: SessionSealer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.to2.sessionTtlSeconds * 1000;
  }

  /** Starts a session at stage `proving`; returns the bearer token for the device. */
  async create(input: {
    ownerTenantId: string;
    deviceId: string;
    voucherId: string;
    state: To2SessionState;
  }): Promise<string> {
    const { token, hash } = newSessionToken();
    const now = this.clock.now();
    await this.dataSource.query(
      `INSERT INTO to2_session (token_hash, owner_tenant_id, device_id, voucher_id, stage, version, state,
         created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, $4, 'proving', 1, $5, $6, $6, $7)`,
      [
        hash,
        input.ownerTenantId,
        input.deviceId,
        input.voucherId,
        this.sealer.seal(encodeSessionState(input.state), hash),
        now,
        new Date(now.getTime() + this.ttlMs),
      ],
    );
    return token;
  }

  /** The session of `token`, expecting one of `stages`; error 1 for an unknown or expired token. */
  async load(
    token: string | undefined,
    stages: readonly To2SessionStage[],
    messageName: string,
  ): Promise<To2Session> {
    if (!token) throw FdoProtocolError.badToken('TO2 session token missing');
    const tokenHash = sessionTokenHash(token);
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT owner_tenant_id, device_id, voucher_id, stage, version, state, expires_at
         FROM to2_session WHERE token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row || row.expires_at.getTime() <= this.clock.now().getTime()) throw FdoProtocolError.badToken();
    if (!stages.includes(row.stage))
      throw FdoProtocolError.malformed(`${messageName} is not expected now (TO2 session is at ${row.stage})`);
    let state: To2SessionState;
    try {
      state = decodeSessionState(this.sealer.open(row.state, tokenHash));
    } catch (err) {
      if (err instanceof SessionStateError)
        throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error', { cause: err });
      throw err;
    }
    return {
      tokenHash,
      ownerTenantId: row.owner_tenant_id,
      deviceId: row.device_id,
      voucherId: row.voucher_id,
      stage: row.stage,
      version: row.version,
      state,
    };
  }

  /**
   * Stores the state a message produced together with another write of the same message, in one
   * statement: `guard` (a data-modifying statement, as a CTE) runs first and the session is saved
   * only if it returned a row. Returns false, having saved nothing, when the guard returned none;
   * error 100 when the guard held but another request changed the session since it was read.
   */
  async saveGuarded(
    session: To2Session,
    stage: To2SessionStage,
    state: To2SessionState,
    guard: (firstParam: number) => { sql: string; params: unknown[] },
  ): Promise<boolean> {
    const { sql, params } = guard(6);
    const rows: { guarded: number; saved: number }[] = await this.dataSource.query(
      `WITH guard AS (${sql}),
            saved AS (
              UPDATE to2_session SET stage = $2, version = version + 1, state = $3, updated_at = $4
               WHERE token_hash = $1 AND version = $5 AND EXISTS (SELECT 1 FROM guard)
              RETURNING 1
            )
       SELECT (SELECT count(*) FROM guard)::int AS guarded, (SELECT count(*) FROM saved)::int AS saved`,
      [
        session.tokenHash,
        stage,
        this.sealer.seal(encodeSessionState(state), session.tokenHash),
        this.clock.now(),
        session.version,
        ...params,
      ],
    );
    const { guarded, saved } = rows[0]!;
    if (guarded === 0) return false;
    if (saved !== 1)
      throw FdoProtocolError.malformed(
        'this TO2 message was already processed (duplicate or concurrent request)',
      );
    return true;
  }

  /**
   * Stores the state a message produced, unless another request changed the session since it was
   * read (then error 100: the message was a duplicate). Pass `manager` to write inside a transaction.
   */
  async save(
    session: To2Session,
    stage: To2SessionStage,
    state: To2SessionState,
    manager?: EntityManager,
  ): Promise<void> {
    const result: unknown = await (manager ?? this.dataSource.manager).query(
      `UPDATE to2_session SET stage = $2, version = version + 1, state = $3, updated_at = $4
        WHERE token_hash = $1 AND version = $5 RETURNING version`,
      [
        session.tokenHash,
        stage,
        this.sealer.seal(encodeSessionState(state), session.tokenHash),
        this.clock.now(),
        session.version,
      ],
    );
    if (sqlRows(result).length !== 1)
      throw FdoProtocolError.malformed(
        'this TO2 message was already processed (duplicate or concurrent request)',
      );
  }
}
