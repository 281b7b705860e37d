import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LedgerHarness,
  LedgerHarness as Harness,
  type LedgerTenant,
} from '../vouchers/ledger-harness.testing';

let harness: LedgerHarness;
let owner: LedgerTenant;

beforeAll(async () => {
  harness = await Harness.start();
  owner = await harness.tenant('owner', 'config-owner');
});

afterAll(async () => {
  await harness?.close();
});

async function raw(key: string, method: string, path: string, body?: Uint8Array | string, type?: string) {
  return fetch(`${harness.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(type ? { 'Content-Type': type } : {}) },
    body,
  });
}

describe('/v1/onboarding configuration API', () => {
  it('stores files, plans and groups, and keeps plan references to the owner', async () => {
    const content = Buffer.from('#!/bin/sh\necho hello\n');
    const uploaded = await raw(
      owner.key,
      'POST',
      '/v1/onboarding/files?name=setup',
      content,
      'application/octet-stream',
    );
    expect(uploaded.status).toBe(201);
    const file = (await uploaded.json()) as { id: string; size: number; sha384: string };
    expect(file).toMatchObject({
      size: content.length,
      sha384: createHash('sha384').update(content).digest('hex'),
    });
    expect(
      Buffer.from(
        await (await raw(owner.key, 'GET', `/v1/onboarding/files/${file.id}/content`)).arrayBuffer(),
      ),
    ).toEqual(content);

    const group = await harness.call<{ id: string }>(owner.key, 'POST', '/v1/onboarding/groups', {
      name: 'lab',
      members: ['serial:SN-1', `guid:${'a'.repeat(32)}`],
    });
    const plan = await harness.call<{ id: string; revision: number; selector: unknown }>(
      owner.key,
      'POST',
      '/v1/onboarding/plans',
      {
        name: 'lab devices',
        selector: { kind: 'group', groupId: group.id },
        content: {
          certificate: { validityDays: 90 },
          files: [{ fileId: file.id, path: 'setup.sh' }],
          commands: [{ command: './setup.sh' }],
          uploads: [{ path: 'inventory.json' }],
        },
      },
    );
    expect(plan).toMatchObject({ revision: 1, selector: { kind: 'group', groupId: group.id } });
    const updated = await harness.call<{ revision: number; priority: number }>(
      owner.key,
      'PUT',
      `/v1/onboarding/plans/${plan.id}`,
      { priority: 5 },
    );
    expect(updated).toMatchObject({ revision: 2, priority: 5 });
    await harness.call(owner.key, 'POST', '/v1/onboarding/plans', {
      name: 'one device',
      selector: { kind: 'device', guid: 'B'.repeat(8) + '-bbbb-bbbb-bbbb-' + 'b'.repeat(12) },
      content: { wget: [{ url: 'https://example.com/fw.bin', path: 'fw.bin' }] },
    });
    const plans = await harness.call<{ selector: { guid?: string } }[]>(
      owner.key,
      'GET',
      '/v1/onboarding/plans',
    );
    expect(plans[1]!.selector.guid).toBe('b'.repeat(32));

    // A plan naming a file that is not the owner's, bad content, a file still in use.
    const unknownFile = await raw(
      owner.key,
      'POST',
      '/v1/onboarding/plans',
      JSON.stringify({
        name: 'bad',
        selector: { kind: 'device-info', pattern: '*' },
        content: { files: [{ fileId: '00000000-0000-4000-8000-000000000000', path: 'x' }] },
      }),
      'application/json',
    );
    expect(unknownFile.status).toBe(400);
    expect(((await unknownFile.json()) as { type: string }).type).toMatch(/unknown-file$/);
    const badContent = await raw(
      owner.key,
      'POST',
      '/v1/onboarding/plans',
      JSON.stringify({
        name: 'bad',
        selector: { kind: 'device' },
        content: { wget: [{ url: 'ftp://x', path: 'y' }] },
      }),
      'application/json',
    );
    expect(badContent.status).toBe(400);
    expect((await raw(owner.key, 'DELETE', `/v1/onboarding/files/${file.id}`)).status).toBe(409);
    expect((await raw(owner.key, 'DELETE', `/v1/onboarding/groups/${group.id}`)).status).toBe(204);
    expect(await harness.call<unknown[]>(owner.key, 'GET', '/v1/onboarding/plans')).toHaveLength(1);
    expect((await raw(owner.key, 'DELETE', `/v1/onboarding/files/${file.id}`)).status).toBe(204);
  });

  it('creates the owner CA once, exports its certificate, and manages trusted device CAs', async () => {
    const ca = await harness.call<{ spec: string; fingerprint: string; certificatePem: string }>(
      owner.key,
      'POST',
      '/v1/onboarding/ca',
      { spec: 'P-384', commonName: 'Config Owner Ops CA' },
      200,
    );
    expect(ca.spec).toBe('P-384');
    const again = await harness.call<{ fingerprint: string }>(
      owner.key,
      'POST',
      '/v1/onboarding/ca',
      {},
      200,
    );
    expect(again.fingerprint).toBe(ca.fingerprint);
    const pem = await (await raw(owner.key, 'GET', '/v1/onboarding/ca/certificate')).text();
    expect(new X509Certificate(pem).subject).toContain('CN=Config Owner Ops CA');
    expect(
      await harness.call<{ allowServerKeygen: boolean }>(owner.key, 'PATCH', '/v1/onboarding/ca', {
        allowServerKeygen: true,
      }),
    ).toMatchObject({ allowServerKeygen: true });

    const trusted = await harness.call<{ id: string; fingerprint: string }>(
      owner.key,
      'POST',
      '/v1/onboarding/device-cas',
      {
        name: 'acme',
        certificatePem: ca.certificatePem,
      },
    );
    expect(
      (
        await raw(
          owner.key,
          'POST',
          '/v1/onboarding/device-cas',
          JSON.stringify({ name: 'again', certificatePem: ca.certificatePem }),
          'application/json',
        )
      ).status,
    ).toBe(409);
    expect(await harness.call<unknown[]>(owner.key, 'GET', '/v1/onboarding/device-cas')).toHaveLength(1);
    expect((await raw(owner.key, 'DELETE', `/v1/onboarding/device-cas/${trusted.id}`)).status).toBe(204);
  });

  it('reports bundles and devices (none yet), and is for owners with onboarding:admin only', async () => {
    expect(await harness.call(owner.key, 'GET', '/v1/onboarding/bundles?status=queued')).toEqual({
      items: [],
      nextCursor: null,
    });
    expect((await raw(owner.key, 'GET', `/v1/onboarding/devices/${'c'.repeat(32)}`)).status).toBe(404);
    expect((await raw(owner.key, 'POST', '/v1/onboarding/bundles/render')).status).toBe(202);
    const manufacturer = await harness.tenant('manufacturer', 'config-maker');
    expect((await raw(manufacturer.key, 'GET', '/v1/onboarding/plans')).status).toBe(403);
    expect((await raw(manufacturer.key, 'POST', '/v1/onboarding/ca', '{}', 'application/json')).status).toBe(
      403,
    );
    const reader = await harness.call<{ key: string }>(
      harness.operatorKey,
      'POST',
      `/v1/tenants/${owner.id}/api-keys`,
      {
        name: 'reader',
        roles: ['vouchers:read'],
      },
    );
    expect((await raw(reader.key, 'GET', '/v1/onboarding/plans')).status).toBe(403);
    expect((await raw('nope', 'GET', '/v1/onboarding/plans')).status).toBe(401);
  });
});
