import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import { createTestDatabase, TenantEntity, type TestDatabase } from '@ztp/persistence';
import {
  type AppDescriptor,
  createApp,
  NestLoggerAdapter,
  ProblemException,
  type Runtime,
  startRuntime,
} from '@ztp/platform';
import { DataSource } from 'typeorm';
import { ApiKeyService } from './api-keys/api-key.service';
import { Idempotent } from './idempotency/idempotency.interceptor';
import { AuthModule } from './nest/auth.module';
import {
  Authenticated,
  CurrentPrincipal,
  CurrentTenantId,
  RequireOperator,
  RequireRoles,
} from './nest/decorators';
import { type Principal } from './principal';

let effects = 0;

@Controller('t')
class ProbeController {
  @Get('whoami')
  @Authenticated()
  whoami(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Get('read')
  @RequireRoles('vouchers:read')
  read(@CurrentTenantId() tenantId: string) {
    return { tenantId };
  }

  @Get('operator')
  @RequireOperator()
  operator() {
    return { ok: true };
  }

  @Post('slow')
  @RequireRoles('vouchers:write')
  @Idempotent()
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    effects += 1;
    return { effects };
  }

  @Post('secret')
  @RequireRoles('vouchers:write')
  @Idempotent()
  secret() {
    return {
      id: randomUUID(),
      key: `ztp_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`,
    };
  }

  @Post('effect')
  @HttpCode(202)
  @RequireRoles('vouchers:write')
  @Idempotent()
  effect(@Body() body: { fail?: boolean }) {
    if (body.fail) throw new ProblemException(409, { type: 'about:blank', title: 'Refused' });
    effects += 1;
    return { effects };
  }
}

@Module({ imports: [AuthModule], controllers: [ProbeController] })
class ProbeModule {}

const descriptor: AppDescriptor = {
  name: 'voucher-service',
  title: 'auth probe',
  description: 'auth probe',
  module: ProbeModule,
  endpoint: (config) => config.apps.voucherService,
};

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'ztp-api';

describe('libs/auth on a real app and database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-auth-'));
  const bootstrapKey = `ztp_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let app: NestExpressApplication;
  let jwks: Server;
  let jwksRequests = 0;
  let signingKey: CryptoKey;
  let tenant: TenantEntity;
  let http: ReturnType<typeof request>;

  const token = (claims: Record<string, unknown>, options: { audience?: string; expiresIn?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(signingKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as { port: number };
    const { createHash } = await import('node:crypto');
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      REDIS_URL: process.env['REDIS_URL'],
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(bootstrapKey).digest('hex'),
      AUTH_OIDC_ISSUER: ISSUER,
      AUTH_OIDC_AUDIENCE: AUDIENCE,
      AUTH_OIDC_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
    };
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      Object.assign(env, {
        DATABASE_URL: serverDatabase.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    const logger = pino({ level: 'silent' });
    runtime = await startRuntime(loadConfig(env), logger, { migrate: true });
    app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
    http = request(app.getHttpServer());
    tenant = await app
      .get(DataSource)
      .getRepository(TenantEntity)
      .save({ kind: 'owner', name: 'Acme', slug: 'acme', settings: {} });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await new Promise((resolve) => jwks?.close(resolve));
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 problems with a Bearer challenge for missing, malformed and unknown credentials', async () => {
    for (const headers of [{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer ztp_nope' }]) {
      const res = await http.get('/t/whoami').set(headers).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="ztp"');
      expect(res.body).toMatchObject({ status: 401, type: 'https://ztp.dev/problems/unauthenticated' });
    }
  });

  it('accepts the bootstrap operator key; operators are refused on tenant routes (403)', async () => {
    const auth = { Authorization: `Bearer ${bootstrapKey}` };
    await http.get('/t/operator').set(auth).expect(200, { ok: true });
    const res = await http.get('/t/read').set(auth).expect(403);
    expect(res.body.type).toBe('https://ztp.dev/problems/forbidden');
  });

  it('tenant API keys: scoped by role, shown once, expire and can be revoked', async () => {
    const apiKeys = app.get(ApiKeyService);
    const reader = await apiKeys.create({
      tenantId: tenant.id,
      name: 'reader',
      roles: ['vouchers:read'],
      createdBy: 'test',
    });
    expect(reader.apiKey).not.toHaveProperty('keySha256');
    await http.get('/t/read').set('X-API-Key', reader.key).expect(200, { tenantId: tenant.id });
    const who = await http.get('/t/whoami').set('Authorization', `Bearer ${reader.key}`).expect(200);
    expect(who.body).toEqual({
      kind: 'tenant',
      tenantId: tenant.id,
      roles: ['vouchers:read'],
      actor: `api-key:${reader.apiKey.id}`,
      credential: 'api-key',
    });
    const forbidden = await http.get('/t/operator').set('X-API-Key', reader.key).expect(403);
    expect(forbidden.body.detail).toMatch(/operators/);
    await http.post('/t/effect').set('X-API-Key', reader.key).send({}).expect(403);

    await apiKeys.revoke(tenant.id, reader.apiKey.id);
    await http.get('/t/read').set('X-API-Key', reader.key).expect(401);
    expect(await apiKeys.revoke(randomUUID(), reader.apiKey.id)).toBeUndefined();

    const shortLived = await apiKeys.create({
      tenantId: tenant.id,
      name: 'short',
      roles: ['tenant:admin'],
      expiresAt: new Date(Date.now() + 1500),
      createdBy: 'test',
    });
    await http.get('/t/read').set('X-API-Key', shortLived.key).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await http.get('/t/read').set('X-API-Key', shortLived.key).expect(401);

    await expect(
      apiKeys.create({ tenantId: tenant.id, name: 'x', roles: ['root'], createdBy: 't' }),
    ).rejects.toMatchObject({
      description: { title: 'Invalid roles' },
    });
    const listed = await apiKeys.list(tenant.id);
    expect(listed.map((key) => key.name)).toEqual(['short', 'reader']);
    expect(listed[1]!.revokedAt).not.toBeNull();
  });

  it('operator API keys are operators', async () => {
    const created = await app
      .get(ApiKeyService)
      .create({ tenantId: null, name: 'ops', roles: [], createdBy: 'test' });
    await http.get('/t/operator').set('X-API-Key', created.key).expect(200);
  });

  it('verifies OIDC tokens against the issuer JWKS and maps tenant and roles claims', async () => {
    const bySlug = await token({ ztp_tenant: 'acme', ztp_roles: ['vouchers:read', 'unknown:role'] });
    await http.get('/t/read').set('Authorization', `Bearer ${bySlug}`).expect(200, { tenantId: tenant.id });
    const who = await http.get('/t/whoami').set('Authorization', `Bearer ${bySlug}`).expect(200);
    expect(who.body).toMatchObject({
      kind: 'tenant',
      roles: ['vouchers:read'],
      actor: 'jwt:alice',
      credential: 'jwt',
    });
    const byIdAsScope = await token({ ztp_tenant: tenant.id, ztp_roles: 'vouchers:write vouchers:read' });
    await http.get('/t/read').set('Authorization', `Bearer ${byIdAsScope}`).expect(200);
    const operator = await token({ ztp_roles: ['ztp:operator'] });
    await http.get('/t/operator').set('Authorization', `Bearer ${operator}`).expect(200);
    expect(jwksRequests).toBe(1);

    const refusals: [string, RegExp][] = [
      [await token({ ztp_tenant: 'acme', ztp_roles: ['vouchers:read'] }, { audience: 'other' }), /aud/],
      [await token({ ztp_tenant: 'acme' }, { expiresIn: '-1m' }), /EXPIRED/],
      [await token({ ztp_tenant: 'nobody', ztp_roles: ['vouchers:read'] }), /does not exist/],
      [await token({ ztp_roles: ['vouchers:read'] }), /names no tenant/],
      ['not.a.jwt', /invalid bearer token/],
    ];
    for (const [bad, reason] of refusals) {
      const res = await http.get('/t/read').set('Authorization', `Bearer ${bad}`).expect(401);
      expect(res.body.detail).toMatch(reason);
    }
    const forged = await new SignJWT({ ztp_tenant: 'acme', ztp_roles: ['vouchers:read'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign((await generateKeyPair('ES256')).privateKey);
    await http.get('/t/read').set('Authorization', `Bearer ${forged}`).expect(401);
  });

  it('Idempotency-Key: a repeat replays the first response without a second effect', async () => {
    const { key } = await app
      .get(ApiKeyService)
      .create({ tenantId: tenant.id, name: 'w', roles: ['vouchers:write'], createdBy: 't' });
    const post = (idempotencyKey: string | undefined, body: object) => {
      const req = http.post('/t/effect').set('X-API-Key', key);
      if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
      return req.send(body);
    };
    const before = effects;
    const first = await post('k-1', { n: 1 }).expect(202);
    expect(first.body).toEqual({ effects: before + 1 });
    const again = await post('k-1', { n: 1 }).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(effects).toBe(before + 1);

    const reused = await post('k-1', { n: 2 }).expect(422);
    expect(reused.body.type).toBe('https://ztp.dev/problems/idempotency-key-reused');
    await post(undefined, { n: 1 }).expect(202);
    expect(effects).toBe(before + 2);

    // A failed first attempt leaves nothing behind: the retry runs.
    await post('k-2', { fail: true }).expect(409);
    await post('k-2', { fail: true }).expect(409);
    await post('k-bad key', {}).expect(400);

    // While the first request with a key runs, a second one with it waits its turn: 409.
    const [a, b] = await Promise.all([
      http.post('/t/slow').set('X-API-Key', key).set('Idempotency-Key', 'k-slow').send({}),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        http.post('/t/slow').set('X-API-Key', key).set('Idempotency-Key', 'k-slow').send({}),
      ),
    ]);
    expect([a.status, b.status]).toEqual([201, 409]);
    expect(b.body.type).toBe('https://ztp.dev/problems/idempotency-in-progress');
    expect(
      (await http.post('/t/slow').set('X-API-Key', key).set('Idempotency-Key', 'k-slow').send({})).body,
    ).toEqual(a.body);

    // An outcome with a secret shown once (a new API key) is replayed whole, but never stored in clear.
    const created = await http
      .post('/t/secret')
      .set('X-API-Key', key)
      .set('Idempotency-Key', 'k-secret')
      .send({});
    expect(created.status).toBe(201);
    const replayed = await http
      .post('/t/secret')
      .set('X-API-Key', key)
      .set('Idempotency-Key', 'k-secret')
      .send({});
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(created.body);
    const stored: { body: string }[] = await app
      .get(DataSource)
      .query(`SELECT response_body::text AS body FROM idempotency_record WHERE idempotency_key = 'k-secret'`);
    expect(stored).toHaveLength(1);
    const secretPart = (created.body as { key: string }).key.split('_').at(-1)!;
    expect(stored[0]!.body).not.toContain(secretPart);
    expect(stored[0]!.body).not.toContain('ztp_');
    // Swapped into another record, the sealed outcome does not open: 409, never someone else's answer.
    await app
      .get(DataSource)
      .query(
        `UPDATE idempotency_record SET response_body = (SELECT response_body FROM idempotency_record WHERE idempotency_key = 'k-secret') WHERE idempotency_key = 'k-1'`,
      );
    const swapped = await post('k-1', { n: 1 });
    expect(swapped.status).toBe(409);
    expect(swapped.body.type).toBe('https://ztp.dev/problems/idempotency-outcome-unreadable');

    // Scopes are per tenant: another tenant's identical key and body is a different request.
    const other = await app
      .get(DataSource)
      .getRepository(TenantEntity)
      .save({ kind: 'owner', name: 'B', slug: 'b', settings: {} });
    const otherKey = await app
      .get(ApiKeyService)
      .create({ tenantId: other.id, name: 'w', roles: ['vouchers:write'], createdBy: 't' });
    await http
      .post('/t/effect')
      .set('X-API-Key', otherKey.key)
      .set('Idempotency-Key', 'k-1')
      .send({ n: 1 })
      .expect(202);
    expect(effects).toBe(before + 4);
  });
});
