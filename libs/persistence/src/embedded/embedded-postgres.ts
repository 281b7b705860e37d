import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ENTITY_SCHEMA, QUEUE_SCHEMA } from '../database-schemas';
import { lockDataDir } from './data-dir-lock';
import { SessionSocketServer } from './session-socket-server';

/** Bounds what one connection can make the server buffer; far above any query this service sends. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface EmbeddedPostgresOptions {
  /** Directory that keeps the data across restarts; omitted: in memory, gone when stopped. */
  dataDir?: string;
}

/**
 * PostgreSQL in-process (PGlite, Postgres compiled to WASM) served on a random loopback port, so
 * the stock `pg` driver, TypeORM and BullMQ's PostgreSQL backend use it exactly like a server.
 *
 * Every client connection shares PGlite's single session (SessionSocketServer runs one client's
 * query or transaction at a time, so they stay isolated). So session settings are shared: the
 * search path is set once here so BullMQ's unqualified names resolve in its schema, and NOTIFY
 * never reaches a LISTEN, which is why queue workers poll (see libs/queue).
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: SessionSocketServer,
    private readonly releaseLock: () => void,
    /** postgres:// URL of the socket server, for any `pg`-based client. */
    readonly url: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
    let releaseLock = () => undefined as void;
    if (options.dataDir !== undefined) {
      mkdirSync(dirname(options.dataDir), { recursive: true, mode: 0o700 });
      releaseLock = lockDataDir(options.dataDir);
    }
    let db: PGlite | undefined;
    try {
      db = new PGlite(options.dataDir);
      await db.waitReady;
      await db.exec(`SET search_path TO ${ENTITY_SCHEMA}, ${QUEUE_SCHEMA}`);
      const server = await SessionSocketServer.listen({
        db,
        maxConnections: 256,
        maxMessageBytes: MAX_MESSAGE_BYTES,
      });
      return new EmbeddedPostgres(db, server, releaseLock, `postgres://postgres@${server.address}/postgres`);
    } catch (err) {
      await db?.close().catch(() => undefined);
      releaseLock();
      throw err;
    }
  }

  /** Stops accepting connections, closes those left (rolling back their work), then the database. */
  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.releaseLock();
    }
  }
}
