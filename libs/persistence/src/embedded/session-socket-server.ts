import { createServer, type AddressInfo, type Server } from 'node:net';
import { type PGlite } from '@electric-sql/pglite';
import { ClientConnection } from './client-connection';
import { SessionScheduler } from './session-scheduler';
import { fatalError } from './wire-protocol';

export interface SessionSocketServerOptions {
  db: PGlite;
  /** Loopback by default: there is no authentication. */
  host?: string;
  maxConnections: number;
  /** Longest frontend message (and unsynced batch) accepted; longer ones close the connection. */
  maxMessageBytes: number;
}

/**
 * Serves PGlite's single session to any number of PostgreSQL wire-protocol clients on a random
 * port. Replaces pglite-socket's server, which interleaves the extended-query messages of
 * concurrent connections outside transactions (one client's Bind meeting another's Parse).
 */
export class SessionSocketServer {
  private readonly connections = new Set<ClientConnection>();

  private constructor(
    private readonly server: Server,
    private readonly scheduler: SessionScheduler,
    /** host:port the server listens on. */
    readonly address: string,
  ) {}

  static async listen(options: SessionSocketServerOptions): Promise<SessionSocketServer> {
    const scheduler = new SessionScheduler(options.db);
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const served = new SessionSocketServer(server, scheduler, `${host}:${port}`);
    server.on('connection', (socket) => {
      if (served.connections.size >= options.maxConnections) {
        socket.on('error', () => socket.destroy());
        socket.end(fatalError('53300', 'sorry, too many clients already'), () => socket.destroy());
        return;
      }
      const connection = new ClientConnection(socket, scheduler, options.maxMessageBytes, (closed) =>
        served.connections.delete(closed),
      );
      served.connections.add(connection);
    });
    return served;
  }

  /** Stops listening, closes every connection, and resolves once their work has been rolled back. */
  async stop(): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections]) connection.close();
    await listenerClosed;
    await this.scheduler.whenIdle();
  }
}
