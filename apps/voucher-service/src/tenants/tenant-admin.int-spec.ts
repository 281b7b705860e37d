import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePublicKey, parseVoucher } from '@ztp/protocol';
import { LedgerHarness, type LedgerTenant } from '../vouchers/ledger-harness.testing';
import { extendTo, manufacture, pemOf } from '../vouchers/voucher-builder.testing';

describe('tenant administration: tenants, settings, API keys, owner keys, webhook endpoints', () => {
  let harness: LedgerHarness;
  let acme: LedgerTenant;
  let other: LedgerTenant;

  const raw = (key: string, path: string) =>
    fetch(`${harness.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    // The production default of the webhook SSRF guard, on the embedded database as on a server.
    harness = await LedgerHarness.start({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'off' });
    acme = await harness.tenant('owner', 'acme');
    other = await harness.tenant('reseller', 'other');
  }, 120_000);
  afterAll(() => harness?.close());

  it('operators list and create tenants; tenants see only themselves', async () => {
    const op = harness.operatorKey;
    const page = await harness.call<{ items: { slug: string }[]; nextCursor: string | null }>(
      op,
      'GET',
      '/v1/tenants?limit=1',
    );
    expect(page.items.map((t) => t.slug)).toEqual(['other']);
    const next = await harness.call<{ items: { slug: string }[] }>(
      op,
      'GET',
      `/v1/tenants?limit=1&cursor=${page.nextCursor}`,
    );
    expect(next.items.map((t) => t.slug)).toEqual(['acme']);
    await harness.call(op, 'POST', '/v1/tenants', { kind: 'owner', name: 'dup', slug: 'acme' }, 409);
    await harness.call(op, 'POST', '/v1/tenants', { kind: 'pirate', name: 'x', slug: 'x1' }, 400);
    await harness.call(acme.key, 'GET', '/v1/tenants', undefined, 403);
    await harness.call(acme.key, 'GET', `/v1/tenants/${other.id}`, undefined, 404);
    expect(await harness.call(acme.key, 'GET', '/v1/whoami')).toMatchObject({
      principal: { kind: 'tenant', tenantId: acme.id },
      tenant: { slug: 'acme' },
    });
  });

  it('settings: the tenant admin or an operator updates them, validated', async () => {
    const updated = await harness.call(
      acme.key,
      'PATCH',
      `/v1/tenants/${acme.id}/settings`,
      {
        ownerOnboarding: [{ dns: 'owner.acme.example', port: 443, protocol: 'https' }],
        credentialReuse: true,
      },
      200,
    );
    expect(updated).toMatchObject({
      settings: { credentialReuse: true, ownerOnboarding: [{ dns: 'owner.acme.example' }] },
    });
    await harness.call(
      harness.operatorKey,
      'PATCH',
      `/v1/tenants/${acme.id}/settings`,
      { credentialReuse: null },
      200,
    );
    expect(
      (await harness.call<{ settings: object }>(acme.key, 'GET', `/v1/tenants/${acme.id}`)).settings,
    ).toEqual({
      ownerOnboarding: [{ dns: 'owner.acme.example', port: 443, protocol: 'https' }],
    });
    await harness.call(
      acme.key,
      'PATCH',
      `/v1/tenants/${acme.id}/settings`,
      { ownerOnboarding: [{ port: 1, protocol: 'http' }] },
      400,
    );
    await harness.call(other.key, 'PATCH', `/v1/tenants/${acme.id}/settings`, { credentialReuse: true }, 404);
  });

  it('API keys: created with roles (shown once), listed without secrets, revoked', async () => {
    const created = await harness.call<{ key: string; apiKey: { id: string } }>(
      acme.key,
      'POST',
      `/v1/tenants/${acme.id}/api-keys`,
      {
        name: 'reader',
        roles: ['vouchers:read'],
      },
    );
    await harness.call(created.key, 'GET', '/v1/vouchers');
    await harness.call(created.key, 'POST', '/v1/owner-keys', { name: 'nope' }, 403);
    const listed = await harness.call<{ items: Record<string, unknown>[]; nextCursor: string | null }>(
      acme.key,
      'GET',
      `/v1/tenants/${acme.id}/api-keys`,
    );
    expect(listed.nextCursor).toBeNull();
    expect(listed.items.every((key) => !('key' in key) && !('keySha256' in key))).toBe(true);
    await harness.call(
      other.key,
      'DELETE',
      `/v1/tenants/${acme.id}/api-keys/${created.apiKey.id}`,
      undefined,
      404,
    );
    await harness.call(
      acme.key,
      'DELETE',
      `/v1/tenants/${acme.id}/api-keys/${created.apiKey.id}`,
      undefined,
      200,
    );
    await harness.call(created.key, 'GET', '/v1/vouchers', undefined, 401);
    await harness.call(
      acme.key,
      'POST',
      `/v1/tenants/${acme.id}/api-keys`,
      { name: 'bad', roles: ['root'] },
      400,
    );
    const operatorKey = await harness.call<{ key: string }>(
      harness.operatorKey,
      'POST',
      '/v1/operator/api-keys',
      { name: 'ops' },
    );
    await harness.call(operatorKey.key, 'GET', '/v1/tenants');
  });

  it('owner keys: custody-made keys of every type, exported as PEM, FDO PublicKey and certificate; retired keys sign nothing', async () => {
    const p384 = await harness.call<{ id: string; publicKeyPem: string; spec: string }>(
      acme.key,
      'POST',
      '/v1/owner-keys',
      {
        name: 'p384',
        spec: 'P-384',
      },
    );
    expect(p384.spec).toBe('P-384');
    await harness.call(acme.key, 'POST', '/v1/owner-keys', { name: 'p384', spec: 'P-384' }, 409);
    const pem = await (await raw(acme.key, `/v1/owner-keys/${p384.id}/public-key`)).text();
    expect(pem).toBe(p384.publicKeyPem);
    const fdo = decodePublicKey(
      new Uint8Array(
        await (
          await raw(acme.key, `/v1/owner-keys/${p384.id}/public-key?format=fdo&encoding=cosekey`)
        ).arrayBuffer(),
      ),
    );
    expect(fdo.key.export({ format: 'pem', type: 'spki' })).toBe(p384.publicKeyPem);
    const certificate = new X509Certificate(
      await (await raw(acme.key, `/v1/owner-keys/${p384.id}/certificate`)).text(),
    );
    expect(certificate.publicKey.export({ format: 'pem', type: 'spki' })).toBe(p384.publicKeyPem);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect((await raw(other.key, `/v1/owner-keys/${p384.id}/public-key`)).status).toBe(404);
    for (const spec of ['RSA-2048', 'RSA-3072'] as const) {
      const rsa = await harness.call<{ id: string; spec: string }>(acme.key, 'POST', '/v1/owner-keys', {
        name: spec,
        spec,
      });
      const key = decodePublicKey(
        new Uint8Array(
          await (await raw(acme.key, `/v1/owner-keys/${rsa.id}/public-key?format=fdo`)).arrayBuffer(),
        ),
      );
      expect(key.key.asymmetricKeyDetails?.modulusLength).toBe(spec === 'RSA-2048' ? 2048 : 3072);
    }

    // A voucher held under the P-256 key cannot be passed on once that key is retired.
    const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const voucher = await extendTo(manufacture(outsider.publicKey), outsider.privateKey, acme.ownerPublicKey);
    const response = await fetch(`${harness.url}/v1/vouchers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${acme.key}`, 'Content-Type': 'application/x-pem-file' },
      body: pemOf([voucher]),
    });
    const { vouchers } = (await response.json()) as { vouchers: { id: string }[] };
    await harness.call(acme.key, 'POST', `/v1/owner-keys/${acme.ownerKeyId}/retire`, undefined, 200);
    const refused = await harness.call<{ type: string }>(
      acme.key,
      'POST',
      `/v1/vouchers/${vouchers[0]!.id}/transfers`,
      { to: { tenant: 'other' } },
      409,
    );
    expect(refused.type).toBe('https://ztp.dev/problems/owner-key-retired');
    // ...and vouchers to a retired key are not imported.
    const late = await extendTo(manufacture(outsider.publicKey), outsider.privateKey, acme.ownerPublicKey);
    const lateImport = await fetch(`${harness.url}/v1/vouchers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${acme.key}`, 'Content-Type': 'application/cbor' },
      body: Buffer.from(late.bytes),
    });
    expect(lateImport.status).toBe(422);
    expect(parseVoucher(late.bytes).entries).toHaveLength(1);
  });

  it('webhook endpoints: secret shown once, rotated, updated, listed with deliveries, deleted; private to the tenant', async () => {
    const created = await harness.call<{ endpoint: { id: string }; secret: string }>(
      acme.key,
      'POST',
      '/v1/webhooks',
      {
        url: 'https://hooks.acme.example/ztp',
        eventTypes: ['voucher.received', 'device.onboarded'],
      },
    );
    expect(created.secret).toMatch(/^whsec_/);
    const id = created.endpoint.id;
    const listed = await harness.call<Record<string, unknown>>(acme.key, 'GET', '/v1/webhooks');
    expect(listed).toEqual({ items: [expect.objectContaining({ id, enabled: true })], nextCursor: null });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const rotated = await harness.call<{ secret: string }>(
      acme.key,
      'POST',
      `/v1/webhooks/${id}/rotate-secret`,
      undefined,
      200,
    );
    expect(rotated.secret).not.toBe(created.secret);
    expect(
      await harness.call(
        acme.key,
        'PATCH',
        `/v1/webhooks/${id}`,
        { enabled: false, eventTypes: ['to0.registered'] },
        200,
      ),
    ).toMatchObject({
      enabled: false,
      eventTypes: ['to0.registered'],
    });
    await harness.call(acme.key, 'PATCH', `/v1/webhooks/${id}`, { url: 'ftp://x' }, 400);
    for (const [url, reason] of [
      ['http://169.254.169.254/latest/meta-data/', 'must not point at a link-local address'],
      ['http://[::ffff:10.0.0.1]:8080/hook', 'must not point at a private address (IPv4-mapped)'],
      ['http://localhost:3000/hook', 'must not point at a loopback address'],
      ['https://ops:secret@hooks.acme.example/ztp', 'must not contain credentials'],
    ] as const) {
      const refused = await harness.call<{ type: string; errors: { path: string; message: string }[] }>(
        acme.key,
        'POST',
        '/v1/webhooks',
        { url, eventTypes: ['voucher.received'] },
        400,
      );
      expect(refused).toMatchObject({
        type: 'https://ztp.dev/problems/invalid-request',
        errors: [{ path: 'url', message: expect.stringContaining(reason) }],
      });
      await harness.call(acme.key, 'PATCH', `/v1/webhooks/${id}`, { url }, 400);
    }
    expect(await harness.call(acme.key, 'GET', `/v1/webhooks/${id}`)).toMatchObject({
      url: 'https://hooks.acme.example/ztp',
    });
    await harness.call(acme.key, 'POST', '/v1/webhooks', { url: 'http://x', eventTypes: ['nope'] }, 400);
    expect(await harness.call(acme.key, 'GET', `/v1/webhooks/${id}/deliveries`)).toEqual({
      items: [],
      nextCursor: null,
    });
    await harness.call(other.key, 'GET', `/v1/webhooks/${id}`, undefined, 404);
    await harness.call(other.key, 'DELETE', `/v1/webhooks/${id}`, undefined, 404);
    await harness.call(acme.key, 'DELETE', `/v1/webhooks/${id}`, undefined, 204);
    await harness.call(acme.key, 'GET', `/v1/webhooks/${id}`, undefined, 404);
    expect((await harness.call<{ valid: boolean }>(acme.key, 'GET', '/v1/audit/verify')).valid).toBe(true);
  });
});
