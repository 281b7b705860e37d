import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { type To2SessionStage, ExpiringCache } from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import { ErrorCode } from '@ztp/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { hotQuery } from '../../support/hot-sql';
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
  /** When the session expires (ms since the epoch). */
  readonly expiresAt: number;
}

interface SessionRow {
  owner_tenant_id: string;
  device_id: string;
  voucher_id: string;
  stage: To2SessionStage;
  version: number;
  state: Buffer;
  expires_at: Date;
  held: boolean;
}

/**
 * The session's voucher is still active and held by the session's owner, and its device is owned or
 * onboarded (not disabled, decommissioned, or never owned): a session whose voucher was deleted or transferred, or whose device
 * was disabled, meanwhile goes no further (every message reads or writes through this condition;
 * TO2.Done checks it again under lock, completion-statement.ts). `s` is the session row.
 */
const SESSION_HELD = `EXISTS (SELECT 1 FROM voucher v JOIN device d ON d.id = s.device_id
   WHERE v.id = s.voucher_id AND v.status = 'active' AND v.holder_tenant_id = s.owner_tenant_id
     AND d.lifecycle IN ('owned', 'onboarded'))`;

/** How many sessions a replica remembers (about 2 kB each). */
const KNOWN_SESSIONS = 8192;

/**
 * Durable TO2 sessions in the to2_session table: each message costs one primary-key read and, when
 * it changes the session, one update guarded by the version read (optimistic concurrency), so a
 * message delivered twice, or to two replicas at once, is processed once.
 *
 * `run` spares the read for the messages whose every write is version-guarded (64, 66, 70): the
 * replica remembers the last version of each session it read or wrote, and a message that finds
 * its session there is processed from it. If another replica moved the session on meanwhile, the
 * guarded write finds another version and nothing is written; any failure before a write
 * succeeded is then retried once from the stored session, so the outcome is the one a read would
 * have given. The table stays the only truth: a restart, or the next message on another replica,
 * reads it. Messages with effects outside the session before their write (68: certificates,
 * uploads) and read-only ones (62: nothing guards them) always read.
 */
@Injectable()
export class To2SessionStore {
  private readonly ttlMs: number;
  /** The last version of each session this replica read or wrote, by token hash (hex). */
  private readonly known: ExpiringCache<string, To2Session>;
  /** Sessions (as handed to a message) that this replica wrote a new version of. */
  private readonly written = new WeakSet<To2Session>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SESSION_SEALER) private readonly sealer: SessionSealer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.to2.sessionTtlSeconds * 1000;
    this.known = new ExpiringCache(KNOWN_SESSIONS, this.ttlMs, () => this.clock.now().getTime());
  }

  /**
   * Runs a message on its session: the version this replica knows when it has it at one of
   * `stages` (see the class comment), else the stored one. Handlers must not change `state` in
   * place: the object may be shared with a concurrent duplicate.
   */
  async run<T>(
    token: string | undefined,
    stages: readonly To2SessionStage[],
    messageName: string,
    process: (session: To2Session) => Promise<T>,
  ): Promise<T> {
    const known = token ? this.known.get(sessionTokenHash(token).toString('hex')) : undefined;
    if (known && known.expiresAt > this.clock.now().getTime() && stages.includes(known.stage)) {
      try {
        return await process(known);
      } catch (err) {
        if (this.written.has(known)) throw err;
        this.forget(known);
      }
    }
    return process(await this.load(token, stages, messageName));
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
    await hotQuery(
      this.dataSource,
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
    this.remember({
      tokenHash: hash,
      ownerTenantId: input.ownerTenantId,
      deviceId: input.deviceId,
      voucherId: input.voucherId,
      stage: 'proving',
      version: 1,
      state: input.state,
      expiresAt: now.getTime() + this.ttlMs,
    });
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
    const rows = await hotQuery<SessionRow>(
      this.dataSource,
      `SELECT s.owner_tenant_id, s.device_id, s.voucher_id, s.stage, s.version, s.state, s.expires_at,
              ${SESSION_HELD} AS held
         FROM to2_session s WHERE s.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row || row.expires_at.getTime() <= this.clock.now().getTime()) throw FdoProtocolError.badToken();
    if (!stages.includes(row.stage))
      throw FdoProtocolError.malformed(`${messageName} is not expected now (TO2 session is at ${row.stage})`);
    if (!row.held) throw voucherChanged();
    let state: To2SessionState;
    try {
      state = decodeSessionState(this.sealer.open(row.state, tokenHash));
    } catch (err) {
      if (err instanceof SessionStateError)
        throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error', { cause: err });
      throw err;
    }
    const session: To2Session = {
      tokenHash,
      ownerTenantId: row.owner_tenant_id,
      deviceId: row.device_id,
      voucherId: row.voucher_id,
      stage: row.stage,
      version: row.version,
      state,
      expiresAt: row.expires_at.getTime(),
    };
    this.remember(session);
    return session;
  }

  /** A message closed the session in a statement of its own (TO2.Done): nothing to remember. */
  closed(session: To2Session): void {
    this.written.add(session);
    this.forget(session);
  }

  /**
   * Stores the state a message produced together with another write of the same message, in one
   * statement: `guard` (a data-modifying statement, as a CTE, which must hold `condition`) runs
   * only while the session is at the version read, and the session is saved only if the guard
   * returned a row (and the session is still held: SESSION_HELD). Returns false, having saved
   * nothing, when the guard returned none; error 100 when another request changed the session
   * since it was read; error 500 when its voucher or device changed (SESSION_HELD).
   */
  async saveGuarded(
    session: To2Session,
    stage: To2SessionStage,
    state: To2SessionState,
    guard: (firstParam: number, condition: string) => { sql: string; params: unknown[] },
  ): Promise<boolean> {
    const { sql, params } = guard(6, 'EXISTS (SELECT 1 FROM current)');
    const rows = await hotQuery<{ current: number; guarded: number; saved: number; held: number }>(
      this.dataSource,
      `WITH current AS MATERIALIZED (
              SELECT 1 FROM to2_session s WHERE s.token_hash = $1 AND s.version = $5 AND ${SESSION_HELD}
            ),
            held AS MATERIALIZED (SELECT 1 FROM to2_session s WHERE s.token_hash = $1 AND ${SESSION_HELD}),
            guard AS (${sql}),
            saved AS (
              UPDATE to2_session SET stage = $2, version = version + 1, state = $3, updated_at = $4
               WHERE token_hash = $1 AND version = $5 AND EXISTS (SELECT 1 FROM guard)
              RETURNING 1
            )
       SELECT (SELECT count(*) FROM current)::int AS current, (SELECT count(*) FROM guard)::int AS guarded,
              (SELECT count(*) FROM saved)::int AS saved, (SELECT count(*) FROM held)::int AS held`,
      [
        session.tokenHash,
        stage,
        this.sealer.seal(encodeSessionState(state), session.tokenHash),
        this.clock.now(),
        session.version,
        ...params,
      ],
    );
    const { current, guarded, saved, held } = rows[0]!;
    if (saved === 1) {
      this.saved(session, stage, state);
      return true;
    }
    if (current === 1 && guarded === 0) return false;
    this.forget(session);
    throw held === 1 ? duplicate() : voucherChanged();
  }

  /**
   * Stores the state a message produced, unless another request changed the session since it was
   * read (then error 100: the message was a duplicate) or its voucher or device changed (error 500,
   * SESSION_HELD; except for the `failed` stage, which records a refusal). Pass `manager` to write
   * inside a transaction.
   */
  async save(
    session: To2Session,
    stage: To2SessionStage,
    state: To2SessionState,
    manager?: EntityManager,
  ): Promise<void> {
    const text = `WITH held AS MATERIALIZED (SELECT 1 FROM to2_session s WHERE s.token_hash = $1 AND ${SESSION_HELD}),
            saved AS (
              UPDATE to2_session SET stage = $2, version = version + 1, state = $3, updated_at = $4
               WHERE token_hash = $1 AND version = $5 AND ($6 OR EXISTS (SELECT 1 FROM held))
              RETURNING 1
            )
       SELECT (SELECT count(*) FROM saved)::int AS saved, (SELECT count(*) FROM held)::int AS held`;
    const values = [
      session.tokenHash,
      stage,
      this.sealer.seal(encodeSessionState(state), session.tokenHash),
      this.clock.now(),
      session.version,
      stage === 'failed',
    ];
    const rows = (
      manager ? sqlRows(await manager.query(text, values)) : await hotQuery(this.dataSource, text, values)
    ) as { saved: number; held: number }[];
    if (rows[0]?.saved !== 1) {
      this.forget(session);
      throw rows[0]?.held === 0 && stage !== 'failed' ? voucherChanged() : duplicate();
    }
    // Inside a transaction the write may still roll back: remember nothing then.
    if (manager) {
      this.written.add(session);
      this.forget(session);
    } else this.saved(session, stage, state);
  }

  private saved(session: To2Session, stage: To2SessionStage, state: To2SessionState): void {
    this.written.add(session);
    this.remember({ ...session, stage, version: session.version + 1, state });
  }

  private remember(session: To2Session): void {
    this.known.set(session.tokenHash.toString('hex'), session);
  }

  private forget(session: To2Session): void {
    const key = session.tokenHash.toString('hex');
    // Only the version this message started from: a newer one another message remembered stays.
    if (this.known.get(key)?.version === session.version) this.known.delete(key);
  }
}

/** The session's voucher was deleted or transferred, or its device disabled, since TO2 began. */
function voucherChanged(): FdoProtocolError {
  return new FdoProtocolError(
    ErrorCode.InternalServerError,
    'the voucher or device changed during onboarding (deleted, transferred, disabled or decommissioned)',
  );
}

function duplicate(): FdoProtocolError {
  return FdoProtocolError.malformed(
    'this TO2 message was already processed (duplicate or concurrent request)',
  );
}
