import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders } from 'node:http';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { type AppConfig, loadConfig } from '@ztp/config';
import { type Fetch } from '@ztp/fdo-client';
import {
  AuditEventEntity,
  AuditLog,
  DeviceEntity,
  DiSessionEntity,
  PostgresSealedKeyStore,
  TenantEntity,
  VoucherEntity,
} from '@ztp/persistence';
import { CertificateIssuer, SoftwareKeyCustody } from '@ztp/pki';
import { pino } from 'pino';
import { type Clock, FdoEndpoint } from '@ztp/platform';
import { CompleteDeviceInitialization } from './di/complete-device-initialization.use-case';
import { type DeviceInitializedHook } from './di/device-initialized-hooks';
import { diMessageHandlers } from './di/di-message-handlers';
import { StartDeviceInitialization } from './di/start-device-initialization.use-case';
import { InitializeManufacturerPki } from './pki/initialize-manufacturer-pki.use-case';
import { SetRendezvousDirectives } from './rendezvous/set-rendezvous-directives.use-case';
import { CreateStation } from './stations/create-station.use-case';
import { RevokeStation } from './stations/revoke-station.use-case';
import { StationAuthenticator } from './stations/station-authenticator';

/** A clock tests move by hand. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface SentMessage {
  token?: string;
  remoteAddress?: string;
  headers?: IncomingHttpHeaders;
}

export interface FdoAnswer {
  type: number;
  body: Uint8Array;
  token: string | undefined;
}

/**
 * The manufacturing use cases wired by hand on a real database (what ManufacturingModule wires in
 * the app), plus the real FdoEndpoint in front of the DI handlers, reachable without HTTP.
 */
export class ManufacturingHarness {
  readonly clock = new TestClock();
  readonly config: AppConfig;
  readonly custody: SoftwareKeyCustody;
  readonly initializePki: InitializeManufacturerPki;
  readonly createStation: CreateStation;
  readonly revokeStation: RevokeStation;
  readonly setRendezvous: SetRendezvousDirectives;
  readonly endpoint: FdoEndpoint;
  private readonly hooks: DeviceInitializedHook[] = [];

  constructor(
    readonly dataSource: DataSource,
    env: NodeJS.ProcessEnv = {},
  ) {
    Logger.overrideLogger(false);
    const masterKey = randomBytes(32);
    this.config = loadConfig({
      DATABASE_URL: 'postgres://unused.invalid/x',
      KEY_CUSTODY_MASTER_KEY: masterKey.toString('base64'),
      ...env,
    });
    const now = () => this.clock.now();
    this.custody = new SoftwareKeyCustody({
      store: new PostgresSealedKeyStore(dataSource),
      masterKey: { version: 1, key: new Uint8Array(masterKey) },
      now,
    });
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const audit = new AuditLog(now);
    const issuer = new CertificateIssuer({ custody: this.custody, now, randomBytes: random });
    const stations = new StationAuthenticator(dataSource, this.config);
    this.initializePki = new InitializeManufacturerPki(dataSource, this.custody, issuer, audit, random);
    this.createStation = new CreateStation(dataSource, audit, random);
    this.revokeStation = new RevokeStation(dataSource, audit, this.clock);
    this.setRendezvous = new SetRendezvousDirectives(dataSource, audit);
    const start = new StartDeviceInitialization(
      dataSource,
      stations,
      issuer,
      this.clock,
      random,
      this.config,
    );
    const complete = new CompleteDeviceInitialization(dataSource, stations, audit, this.clock, this.hooks);
    this.endpoint = new FdoEndpoint(
      diMessageHandlers(start, complete),
      pino({ level: 'silent' }),
      undefined,
      {
        maxBodyBytes: this.config.http.maxBodyBytes,
      },
    );
  }

  /** Hooks run by CompleteDeviceInitialization, in order (tests add and clear them). */
  get deviceInitializedHooks(): DeviceInitializedHook[] {
    return this.hooks;
  }

  async newManufacturer(slug: string): Promise<TenantEntity> {
    return this.dataSource
      .getRepository(TenantEntity)
      .save({ kind: 'manufacturer', name: `${slug} Inc.`, slug, settings: {} });
  }

  /** POST /fdo/101/msg/{type} through the real FdoEndpoint (all but the HTTP framing). */
  async send(type: number, body: Uint8Array, message: SentMessage = {}): Promise<FdoAnswer> {
    const headers: IncomingHttpHeaders = {
      'content-type': 'application/cbor',
      ...(message.token ? { authorization: `Bearer ${message.token}` } : {}),
      ...message.headers,
    };
    const reply = await this.endpoint.exchange({
      typeParam: String(type),
      contentType: headers['content-type'],
      body,
      headers,
      remoteAddress: message.remoteAddress ?? '127.0.0.1',
      requestId: 'test',
    });
    return { type: reply.type, body: reply.body, token: reply.token };
  }

  /** A fetch for FdoHttpSession that lands in `send` (from `remoteAddress`). */
  fetchFrom(remoteAddress = '127.0.0.1'): Fetch {
    return async (url, init) => {
      const type = Number(/\/fdo\/101\/msg\/(\d+)$/.exec(url)?.[1]);
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const token = headers['authorization']?.replace(/^Bearer /, '');
      delete headers['authorization'];
      const answer = await this.send(type, new Uint8Array(init.body as Uint8Array), {
        token,
        remoteAddress,
        headers,
      });
      return new Response(answer.body, {
        status: 200,
        headers: {
          'message-type': String(answer.type),
          ...(answer.token ? { authorization: `Bearer ${answer.token}` } : {}),
        },
      });
    };
  }

  /** Row counts of everything DI may write. */
  async counts(): Promise<{
    devices: number;
    vouchers: number;
    auditEvents: number;
    completedSessions: number;
  }> {
    return {
      devices: await this.dataSource.getRepository(DeviceEntity).count(),
      vouchers: await this.dataSource.getRepository(VoucherEntity).count(),
      auditEvents: await this.dataSource.getRepository(AuditEventEntity).count(),
      completedSessions: await this.dataSource
        .getRepository(DiSessionEntity)
        .createQueryBuilder('s')
        .where('s.completed_at IS NOT NULL')
        .getCount(),
    };
  }
}
