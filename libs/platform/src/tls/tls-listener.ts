import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { type AddressInfo } from 'node:net';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type AppConfig } from '@ztp/config';
import { limitConnections } from '../http/connection-limits';
import { drainWith, trackResponses } from '../http/http-drain';
import { StartupError } from '../runtime/run-main';
import { APP_CONFIG } from '../tokens';

/** An extra HTTPS listener in front of an app's routes. */
export interface TlsListenerSettings {
  readonly port: number;
  readonly host: string;
  /** PEM file with the server certificate (and its chain). */
  readonly certificateFile: string;
  /** PEM file with the server's private key. */
  readonly privateKeyFile: string;
  /**
   * Only requests under these path prefixes reach the app; others get 404. The listener exists for
   * one protocol (e.g. SZTP's RESTCONF), not to expose every route over a second port.
   */
  readonly pathPrefixes: readonly string[];
}

export interface TlsListenerOptions {
  /** What the listener serves, for logs and errors. */
  readonly name: string;
  /** Its settings from the configuration; undefined runs no listener. */
  readonly settings: (config: AppConfig) => TlsListenerSettings | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function readPem(file: string, what: string, name: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new StartupError(`${name}: cannot read the TLS ${what} file ${file}: ${(err as Error).message}`);
  }
}

/**
 * Starts an HTTPS server over `handler` that asks every client for a certificate but accepts the
 * connection whatever it presents (or without one), so the app can answer an unknown or missing
 * certificate in its own protocol's error format instead of a failed handshake.
 */
export async function listenTls(
  handler: Handler,
  settings: TlsListenerSettings,
  name: string,
): Promise<Server> {
  const server = createServer(
    {
      cert: readPem(settings.certificateFile, 'certificate', name),
      key: readPem(settings.privateKeyFile, 'private key', name),
      requestCert: true,
      rejectUnauthorized: false,
      // Check the header and request timeouts often enough that they actually bound a slow client.
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (settings.pathPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
        handler(req, res);
        return;
      }
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
      res.end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, instance: path }));
    },
  );
  limitConnections(server);
  trackResponses(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

const TLS_LISTENER_OPTIONS = Symbol('TLS_LISTENER_OPTIONS');

/** Runs the listener for the app's lifetime: started on bootstrap, closed before shutdown. */
@Injectable()
export class TlsListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TlsListener');
  private server: Server | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig | undefined,
    @Inject(TLS_LISTENER_OPTIONS) private readonly options: TlsListenerOptions,
  ) {}

  /** The bound address, once listening (port 0 in settings picks a free one). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config && this.options.settings(this.config);
    if (settings === undefined) return;
    const handler = this.adapterHost.httpAdapter.getInstance<Handler>();
    try {
      this.server = await listenTls(handler, settings, this.options.name);
    } catch (err) {
      if (err instanceof StartupError) throw err;
      throw new StartupError(
        `${this.options.name}: cannot listen on ${settings.host}:${settings.port}: ${(err as Error).message}`,
      );
    }
    // Drained with the app's own port when it stops (closeApp).
    drainWith(this.adapterHost.httpAdapter.getHttpServer() as object, this.server);
    const { port } = this.address()!;
    this.logger.log({ port, host: settings.host }, `${this.options.name} listening (HTTPS)`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}

/**
 * An app's extra HTTPS listener: `TlsListenerModule.register({ name, settings })` in a feature
 * module. Inject `TlsListener` for its address.
 */
@Module({})
export class TlsListenerModule {
  static register(options: TlsListenerOptions): DynamicModule {
    return {
      module: TlsListenerModule,
      providers: [{ provide: TLS_LISTENER_OPTIONS, useValue: options }, TlsListener],
      exports: [TlsListener],
    };
  }
}
