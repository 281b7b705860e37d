import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { pino } from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { createApp, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { parseVoucher, verifyVoucher, voucherToPem } from '@ztp/protocol';
import { VOUCHER_SERVICE_APP } from '../voucher-service.app';
import { extendTo, manufacture, pemOf } from './voucher-builder.testing';

interface Tenant {
  id: string;
  key: string;
  ownerKeyId: string;
  publicKey: ReturnType<typeof createPublicKey>;
}

describe('voucher ledger API (import, transfers, claims, isolation, audit, idempotency)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-ledger-'));
  const operatorKey = `ztp_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let app: NestExpressApplication;
  let http: ReturnType<typeof request>;
  const tenants: Record<'maker' | 'reseller' | 'owner', Tenant> = {} as never;

  const as = (tenant: Tenant) => ({ Authorization: `Bearer ${tenant.key}` });
  const binary = (res: NodeJS.ReadableStream, done: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  };

  async function newTenant(kind: string, slug: string): Promise<Tenant> {
    const created = await http
      .post('/v1/tenants')
      .set('Authorization', `Bearer ${operatorKey}`)
      .send({ kind, name: slug, slug })
      .expect(201);
    const { body: admin } = await http
      .post(`/v1/tenants/${created.body.id}/api-keys`)
      .set('Authorization', `Bearer ${operatorKey}`)
      .send({ name: 'admin', roles: ['tenant:admin'] })
      .expect(201);
    const { body: ownerKey } = await http
      .post('/v1/owner-keys')
      .set('Authorization', `Bearer ${admin.key}`)
      .send({ name: 'main', spec: 'P-256' })
      .expect(201);
    return {
      id: created.body.id,
      key: admin.key,
      ownerKeyId: ownerKey.id,
      publicKey: createPublicKey(ownerKey.publicKeyPem),
    };
  }

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      REDIS_URL: process.env['REDIS_URL'],
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(operatorKey).digest('hex'),
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
    app = await createApp(VOUCHER_SERVICE_APP, runtime, new NestLoggerAdapter(logger));
    http = request(app.getHttpServer());
    tenants.maker = await newTenant('manufacturer', 'maker');
    tenants.reseller = await newTenant('reseller', 'reseller');
    tenants.owner = await newTenant('owner', 'owner');
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('manufacturer -> reseller -> owner: two entries, one holder at a time, each tenant sees only its own', async () => {
    const { maker, reseller, owner } = tenants;
    const voucher = manufacture(maker.publicKey);
    const imported = await http
      .post('/v1/vouchers')
      .set(as(maker))
      .set('Content-Type', 'application/x-pem-file')
      .set('X-Expected-Count', '1')
      .send(voucherToPem(voucher))
      .expect(201);
    const { guid, id } = imported.body.vouchers[0];

    const offer = await http
      .post(`/v1/vouchers/${guid}/transfers`)
      .set(as(maker))
      .set('Idempotency-Key', 'offer-1')
      .send({ to: { tenant: 'reseller' } })
      .expect(201);
    expect(offer.body).toMatchObject({ status: 'pending', direction: 'outgoing', toTenantId: reseller.id });
    // The same request again: the same answer, no second transfer.
    const again = await http
      .post(`/v1/vouchers/${guid}/transfers`)
      .set(as(maker))
      .set('Idempotency-Key', 'offer-1')
      .send({ to: { tenant: 'reseller' } })
      .expect(201);
    expect(again.body.id).toBe(offer.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const outgoing = await http.get('/v1/transfers?direction=outgoing').set(as(maker)).expect(200);
    expect(outgoing.body.items).toHaveLength(1);

    // Until accepted the manufacturer still holds it; the reseller sees it as incoming only.
    await http.get(`/v1/vouchers/${id}`).set(as(reseller)).expect(404);
    const incoming = await http
      .get('/v1/transfers?direction=incoming&status=pending')
      .set(as(reseller))
      .expect(200);
    expect(incoming.body.items.map((t: { id: string }) => t.id)).toEqual([offer.body.id]);
    await http.post(`/v1/transfers/${offer.body.id}/accept`).set(as(owner)).expect(404);
    await http.post(`/v1/transfers/${offer.body.id}/accept`).set(as(reseller)).expect(200);
    await http.post(`/v1/transfers/${offer.body.id}/accept`).set(as(reseller)).expect(409);
    await http.get(`/v1/vouchers/${id}`).set(as(maker)).expect(404);
    expect((await http.get('/v1/vouchers').set(as(maker)).expect(200)).body.items).toEqual([]);
    // A reseller holding the voucher does not make the device owned.
    expect((await http.get(`/v1/vouchers/${id}`).set(as(reseller)).expect(200)).body.device).toMatchObject({
      lifecycle: 'manufactured',
    });

    await http
      .post('/v1/webhooks')
      .set(as(owner))
      .send({ url: 'https://hooks.example/owned', eventTypes: ['device.owned'] })
      .expect(201);
    const second = await http
      .post(`/v1/vouchers/${id}/transfers`)
      .set(as(reseller))
      .send({ to: { tenant: owner.id, ownerKeyId: owner.ownerKeyId } })
      .expect(201);
    await http.post(`/v1/transfers/${second.body.id}/accept`).set(as(owner)).expect(200);

    const cbor = await http
      .get(`/v1/vouchers/${guid}?format=cbor`)
      .set(as(owner))
      .buffer(true)
      .parse(binary as never)
      .expect(200);
    const held = parseVoucher(new Uint8Array(cbor.body as Buffer));
    expect(held.entries).toHaveLength(2);
    expect(() => verifyVoucher(held)).not.toThrow();
    expect(
      createHash('sha256')
        .update(cbor.body as Buffer)
        .digest('hex'),
    ).toBe(cbor.headers['x-fdo-checksum']!.slice(7));
    const json = await http.get(`/v1/vouchers/${guid}`).set(as(owner)).expect(200);
    expect(json.body).toMatchObject({ id, status: 'active', numEntries: 2, ownerKeyId: owner.ownerKeyId });
    // The first owner tenant to hold it: manufactured -> owned, with its audit event and webhook.
    expect(json.body.device).toMatchObject({ lifecycle: 'owned' });
    const ownedWebhooks: { subject: string }[] = await app
      .get(DataSource)
      .query(
        `SELECT payload->>'subject' AS subject FROM webhook_delivery WHERE tenant_id = $1 AND event_type = 'device.owned'`,
        [owner.id],
      );
    expect(ownedWebhooks).toEqual([{ subject: `device:${guid}` }]);
    expect(json.body.summary.entries).toHaveLength(2);

    for (const other of [maker, reseller]) {
      await http.get(`/v1/vouchers/${guid}`).set(as(other)).expect(404);
      await http.get(`/v1/devices/${guid}`).set(as(other)).expect(404);
      await http.get(`/v1/owner-keys/${owner.ownerKeyId}`).set(as(other)).expect(404);
      await http.get(`/v1/tenants/${owner.id}`).set(as(other)).expect(404);
    }
    const status = await http.get(`/v1/devices/${guid}`).set(as(owner)).expect(200);
    expect(status.body).toMatchObject({
      voucher: { id, status: 'active' },
      replaces: null,
      replacement: null,
      to0: [],
    });
    expect(status.body.transfers).toEqual([
      expect.objectContaining({ id: second.body.id, direction: 'incoming', status: 'accepted' }),
    ]);

    for (const tenant of [maker, reseller, owner]) {
      const verified = await http.get('/v1/audit/verify').set(as(tenant)).expect(200);
      expect(verified.body).toMatchObject({ valid: true });
    }
    // Each tenant's audit log holds its own events only.
    const eventTypes = async (tenant: Tenant) =>
      (await http.get('/v1/audit/events').set(as(tenant)).expect(200)).body.items.map(
        (e: { eventType: string }) => e.eventType,
      );
    expect(await eventTypes(maker)).toEqual([
      'tenant.created',
      'owner-key.created',
      'voucher.imported',
      'transfer.offered',
      'voucher.transferred',
    ]);
    expect(await eventTypes(reseller)).toEqual([
      'tenant.created',
      'owner-key.created',
      'transfer.incoming',
      'voucher.received',
      'transfer.offered',
      'voucher.transferred',
    ]);
    expect(await eventTypes(owner)).toEqual([
      'tenant.created',
      'owner-key.created',
      'webhook.created',
      'transfer.incoming',
      'voucher.received',
      'device.owned',
    ]);
  });

  it('refuses a whole batch for one bad voucher, naming its index, and stores nothing', async () => {
    const { reseller } = tenants;
    const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const good = await Promise.all(
      [0, 1, 2].map(() => extendTo(manufacture(outsider.publicKey), outsider.privateKey, reseller.publicKey)),
    );
    const notOurs = manufacture(outsider.publicKey);
    const before = (await http.get('/v1/vouchers?status=any').set(as(reseller)).expect(200)).body.items
      .length;
    const refused = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/x-pem-file')
      .send(pemOf([good[0]!, good[1]!, notOurs, good[2]!]))
      .expect(422);
    expect(refused.body).toMatchObject({ index: 2, type: 'https://ztp.dev/problems/voucher-rejected' });
    expect(refused.body.errors[0]).toMatchObject({ index: 2, code: 'not-owner' });
    const tampered = Buffer.from(good[1]!.bytes);
    tampered[tampered.length - 5]! ^= 0xff;
    const broken = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/cbor-seq')
      .send(Buffer.concat([Buffer.from(good[0]!.bytes), tampered]))
      .expect(422);
    expect(broken.body.index).toBe(1);
    await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/x-pem-file')
      .set('X-Expected-Count', '4')
      .send(pemOf(good))
      .expect(422);
    expect((await http.get('/v1/vouchers?status=any').set(as(reseller)).expect(200)).body.items).toHaveLength(
      before,
    );

    // Large batches are checked on worker threads: the same verdicts, the same index.
    const many = await Promise.all(
      Array.from({ length: 120 }, () =>
        extendTo(manufacture(outsider.publicKey), outsider.privateKey, reseller.publicKey),
      ),
    );
    const withBad = [...many.slice(0, 70), notOurs, ...many.slice(70)];
    const threaded = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/x-pem-file')
      .send(pemOf(withBad))
      .expect(422);
    expect(threaded.body).toMatchObject({
      index: 70,
      errors: [expect.objectContaining({ index: 70, code: 'not-owner' })],
    });
    const imported = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/x-pem-file')
      .send(pemOf(many))
      .expect(201);
    expect(imported.body.count).toBe(120);

    const boundary = 'ztp-test-boundary';
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="voucher"; filename="a.fdoov"\r\nContent-Type: application/cbor\r\n\r\n`,
      ),
      Buffer.from(good[0]!.bytes),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="voucher"; filename="b.pem"\r\n\r\n${pemOf([good[1]!, good[2]!])}\r\n--${boundary}--\r\n`,
      ),
    ]);
    const ok = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(multipart)
      .expect(201);
    expect(ok.body.count).toBe(3);
    const again = await http
      .post('/v1/vouchers')
      .set(as(reseller))
      .set('Content-Type', 'application/x-pem-file')
      .send(pemOf([good[0]!]))
      .expect(409);
    expect(again.body.errors[0]).toMatchObject({ index: 0, code: 'already-held' });
  });

  it('transfers out of the service to a public key, and refuses what cannot be transferred', async () => {
    const { owner, reseller } = tenants;
    const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [voucher] = (await http.get('/v1/vouchers').set(as(owner)).expect(200)).body.items;
    const out = await http
      .post(`/v1/vouchers/${voucher.id}/transfers`)
      .set(as(owner))
      .send({
        to: { publicKeyPem: outsider.publicKey.export({ format: 'pem', type: 'spki' }) },
        extra: { '1': 'cafe' },
      })
      .expect(201);
    expect(out.body.status).toBe('completed');
    const extended = parseVoucher(
      new Uint8Array(Buffer.from(out.body.voucherPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')),
    );
    expect(extended.entries).toHaveLength(3);
    expect(extended.entries[2]!.extra?.get(1)).toEqual(new Uint8Array([0xca, 0xfe]));
    const after = await http.get(`/v1/vouchers/${voucher.id}`).set(as(owner)).expect(200);
    expect(after.body.status).toBe('transferred-out');
    const refused = await http
      .post(`/v1/vouchers/${voucher.id}/transfers`)
      .set(as(owner))
      .send({ to: { tenant: 'reseller' } })
      .expect(409);
    expect(refused.body.type).toBe('https://ztp.dev/problems/voucher-not-active');
    const [mine] = (await http.get('/v1/vouchers').set(as(reseller)).expect(200)).body.items;
    await http
      .post(`/v1/vouchers/${mine.id}/transfers`)
      .set(as(reseller))
      .send({ to: { tenant: 'reseller' } })
      .expect(422);
    await http
      .post(`/v1/vouchers/${mine.id}/transfers`)
      .set(as(reseller))
      .send({ to: { tenant: 'nobody' } })
      .expect(422);
    const pending = await http
      .post(`/v1/vouchers/${mine.id}/transfers`)
      .set(as(reseller))
      .send({ to: { tenant: 'owner' } })
      .expect(201);
    await http
      .post(`/v1/vouchers/${mine.id}/transfers`)
      .set(as(reseller))
      .send({ to: { tenant: 'owner' } })
      .expect(409);
    await http.delete(`/v1/vouchers/${mine.id}`).set(as(reseller)).expect(409);
    await http.post(`/v1/transfers/${pending.body.id}/reject`).set(as(owner)).expect(200);
    await http.delete(`/v1/vouchers/${mine.id}`).set(as(reseller)).expect(200);
    expect((await http.get(`/v1/vouchers/${mine.id}`).set(as(reseller)).expect(200)).body.status).toBe(
      'deleted',
    );
  });
  it("extends a voucher to the recipient's owner key of the voucher's type (size included), 422 when it has none", async () => {
    const reseller = await newTenant('reseller', 'typed-reseller');
    const owner = await newTenant('owner', 'typed-owner');
    const ownerKey = async (tenant: Tenant, spec: string) =>
      (await http.post('/v1/owner-keys').set(as(tenant)).send({ name: spec, spec }).expect(201)).body as {
        id: string;
        publicKeyPem: string;
      };
    const imported = async (spec: 'P-384' | 'RSA-2048') => {
      const resellerKey = await ownerKey(reseller, spec);
      const outsider =
        spec === 'P-384'
          ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const voucher = await extendTo(
        manufacture(outsider.publicKey),
        outsider.privateKey,
        createPublicKey(resellerKey.publicKeyPem),
      );
      const { body } = await http
        .post('/v1/vouchers')
        .set(as(reseller))
        .set('Content-Type', 'application/x-pem-file')
        .send(voucherToPem(voucher))
        .expect(201);
      return body.vouchers[0].id as string;
    };
    const p384Voucher = await imported('P-384');
    const rsaVoucher = await imported('RSA-2048');
    const transfer = (voucherId: string, to: Record<string, string>) =>
      http.post(`/v1/vouchers/${voucherId}/transfers`).set(as(reseller)).send({ to });

    // The owner holds a P-256 key only: nothing fits a P-384 voucher.
    const none = await transfer(p384Voucher, { tenant: 'typed-owner' }).expect(422);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.body).toMatchObject({
      status: 422,
      type: expect.stringMatching(/no-recipient-key$/),
      detail: expect.stringMatching(/no active P-384 owner key/),
    });
    const p384 = await ownerKey(owner, 'P-384');
    const rsa3072 = await ownerKey(owner, 'RSA-3072');
    // The owner's RSA-3072 key does not fit an RSA-2048 voucher either.
    const size = await transfer(rsaVoucher, { tenant: 'typed-owner' }).expect(422);
    expect(size.body.detail).toMatch(/no active RSA-2048 owner key/);
    // Naming a key of another type is refused.
    const named = await transfer(p384Voucher, { tenant: 'typed-owner', ownerKeyId: rsa3072.id }).expect(422);
    expect(named.body).toMatchObject({
      type: expect.stringMatching(/owner-key-mismatch$/),
      detail: expect.stringMatching(/needs a P-384 owner key, not RSA-3072/),
    });
    // Unnamed, the P-384 one is picked, and the accepted voucher is extended to it.
    const offered = await transfer(p384Voucher, { tenant: 'typed-owner' }).expect(201);
    expect(offered.body.toOwnerKeyId).toBe(p384.id);
    await http.post(`/v1/transfers/${offered.body.id}/accept`).set(as(owner)).expect(200);
    const held = await http.get(`/v1/vouchers/${offered.body.guid}`).set(as(owner)).expect(200);
    expect(held.body.ownerKeyId).toBe(p384.id);
    const rsa2048 = await ownerKey(owner, 'RSA-2048');
    const rsaOffer = await transfer(rsaVoucher, { tenant: 'typed-owner' }).expect(201);
    expect(rsaOffer.body.toOwnerKeyId).toBe(rsa2048.id);
  });
});
