import pg from 'pg';

/**
 * A pg Client that always has an 'error' listener. pg-pool listens for errors only while a client
 * is idle and removes its listener on checkout, so a connection lost while a client is checked out
 * (a killed backend, a restarted server, ECONNRESET) emitted an 'error' nobody heard and Node
 * exited. The error itself is not lost: pg rejects the statement in flight with it and marks the
 * client unqueryable, and the pool discards such a client when it is released, so the next
 * checkout opens a fresh connection. Every pg pool of ours is built with this client.
 */
export class ResilientPgClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}
