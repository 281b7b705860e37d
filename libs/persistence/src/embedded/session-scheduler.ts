import { type PGlite } from '@electric-sql/pglite';
import { ROLLBACK_ANY_UNIT_OF_WORK } from './wire-protocol';

/** A connection's identity as the scheduler sees it. */
export type SessionClient = object;

/** The turn was dropped because its connection went away before it ran. */
export class ClientReleasedError extends Error {
  constructor() {
    super('The connection closed before its messages ran');
    this.name = 'ClientReleasedError';
  }
}

interface Turn {
  client: SessionClient;
  messages: Uint8Array;
  /** The batch ends with Sync or a simple Query (or is a startup): the session is idle after it. */
  endsUnitOfWork: boolean;
  onOutput(bytes: Uint8Array): void;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * PGlite is one PostgreSQL session; every client connection shares it. This scheduler runs one
 * connection's batch of frontend messages at a time, each batch whole (a batch is everything up to
 * a Sync, Query or Flush), so the unnamed statement and portal of one client never meet another
 * client's Parse/Bind.
 *
 * The session belongs to one connection for longer while that connection has work in flight:
 * inside a transaction block, or after a Flush (its portal is open until its Sync). Meanwhile only
 * that connection's batches run; the others wait in arrival order and run once it lets go.
 */
export class SessionScheduler {
  private waiting: Turn[] = [];
  private owner: SessionClient | undefined;
  private current: Turn | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly db: PGlite) {}

  /** Runs the messages for `client` when the session is free for it; resolves after all output. */
  run(
    client: SessionClient,
    messages: Uint8Array,
    endsUnitOfWork: boolean,
    onOutput: (bytes: Uint8Array) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ client, messages, endsUnitOfWork, onOutput, resolve, reject });
      void this.pump();
    });
  }

  /**
   * Forgets a connection that closed: drops its waiting batches and, if it held the session,
   * rolls back whatever it left open (a transaction block, or an unsynced implicit transaction,
   * as PostgreSQL does for a lost connection) before anyone else runs.
   */
  release(client: SessionClient): void {
    const dropped = this.waiting.filter((turn) => turn.client === client);
    this.waiting = this.waiting.filter((turn) => turn.client !== client);
    for (const turn of dropped) turn.reject(new ClientReleasedError());
    if (this.owner !== client && this.current?.client !== client) return;
    this.waiting.unshift({
      client,
      messages: ROLLBACK_ANY_UNIT_OF_WORK,
      endsUnitOfWork: true,
      onOutput: () => undefined,
      resolve: () => undefined,
      reject: () => undefined,
    });
    void this.pump();
  }

  /** Resolves once no batch runs or waits (call after releasing every connection). */
  whenIdle(): Promise<void> {
    if (this.current === undefined && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.current !== undefined) return;
    for (let turn = this.next(); turn !== undefined; turn = this.next()) {
      this.current = turn;
      try {
        await this.db.runExclusive(() =>
          this.db.execProtocolRawStream(turn.messages, { onRawData: turn.onOutput }),
        );
        this.owner = turn.endsUnitOfWork && !this.db.isInTransaction() ? undefined : turn.client;
        turn.resolve();
      } catch (err) {
        // PGlite failed mid-batch: keep the session with this client until its release rolls back
        // (the connection closes on the error); a failed rollback leaves nothing more to try.
        this.owner = turn.messages === ROLLBACK_ANY_UNIT_OF_WORK ? undefined : turn.client;
        turn.reject(err);
      } finally {
        this.current = undefined;
      }
    }
    if (this.waiting.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** The owner's oldest batch, or when nobody owns the session, the oldest batch of all. */
  private next(): Turn | undefined {
    const index = this.owner === undefined ? 0 : this.waiting.findIndex((turn) => turn.client === this.owner);
    return index < 0 ? undefined : this.waiting.splice(index, 1)[0];
  }
}
