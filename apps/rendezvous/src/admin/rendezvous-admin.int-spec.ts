import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@ztp/auth';
import { FdoHttpSession, runTo0, runTo1 } from '@ztp/fdo-client';
import { buildRvTo2Addr, createSoftwareSigner, ErrorCode, guidToHex, guidToUuid } from '@ztp/protocol';
import { bootRendezvous, type BootedRendezvous } from '../testing/boot-rendezvous';
import { newDeviceCa, newTestDevice, ownedVoucher, p256Key, type TestDevice } from '../testing/test-vouchers';
import { spkiSha256 } from '../to0/to0.service';

const operator = generateApiKey();
const manufacturer = p256Key();
const owner = p256Key();
const ADDRESS = buildRvTo2Addr({ dns: 'owner.example.com', port: 8042, protocol: 'https' });
let rv: BootedRendezvous;

async function api(method: string, path: string, body?: unknown, key: string | null = operator.key) {
  const response = await fetch(`${rv.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: text ? JSON.parse(text) : null,
  };
}

function register(device: TestDevice, key = owner, owners = [key]) {
  return ownedVoucher(device, manufacturer, owners).then((voucher) =>
    runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
      voucher,
      ownerSigner: createSoftwareSigner(key),
      to2Addresses: [ADDRESS],
      waitSeconds: 3600,
    }),
  );
}

beforeAll(async () => {
  rv = await bootRendezvous({
    RENDEZVOUS_DEFAULT_POLICY: 'closed',
    RENDEZVOUS_RATE_LIMIT_PER_GUID: '0',
    AUTH_OPERATOR_API_KEY_SHA256: operator.sha256.toString('hex'),
  });
});
afterAll(async () => {
  await rv?.close();
});

describe('rendezvous admin API', () => {
  it('needs an operator credential (401 problem otherwise)', async () => {
    const reply = await api('GET', '/v1/rendezvous/policy', undefined, null);
    expect(reply.status).toBe(401);
    expect(reply.type).toMatch(/application\/problem\+json/);
    expect((await api('GET', '/v1/rendezvous/registrations', undefined, 'ztp_000000000000_x')).status).toBe(
      401,
    );
  });

  it('closed by default: refuses every voucher until something is trusted', async () => {
    const policy = await api('GET', '/v1/rendezvous/policy');
    expect(policy.body).toMatchObject({
      openMode: false,
      saved: false,
      minWaitSeconds: 60,
      maxWaitSeconds: 86_400,
    });
    await expect(register(await newTestDevice())).rejects.toMatchObject({
      code: ErrorCode.InvalidOwnershipVoucher,
    });
  });

  it('trusts a manufacturer key given as PEM, then refuses a denied owner key', async () => {
    const pem = createPublicKey(manufacturer).export({ type: 'spki', format: 'pem' }).toString();
    const added = await api('POST', '/v1/rendezvous/policy/entries', {
      kind: 'manufacturer-key',
      pem,
      label: 'acme',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      kind: 'manufacturer-key',
      sha256: spkiSha256(manufacturer),
      label: 'acme',
    });
    expect(
      (await api('POST', '/v1/rendezvous/policy/entries', { kind: 'manufacturer-key', pem })).status,
    ).toBe(200);
    expect((await register(await newTestDevice())).waitSeconds).toBe(3600);

    const denied = p256Key();
    const deny = await api('POST', '/v1/rendezvous/policy/entries', {
      kind: 'owner-deny',
      sha256: spkiSha256(denied),
    });
    expect(deny.status).toBe(201);
    await expect(register(await newTestDevice(), denied)).rejects.toMatchObject({
      code: ErrorCode.InvalidOwnershipVoucher,
      message: expect.stringMatching(/deny list/),
    });
    expect((await api('DELETE', `/v1/rendezvous/policy/entries/${deny.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/v1/rendezvous/policy/entries/${deny.body.id}`)).status).toBe(404);
    expect((await register(await newTestDevice(), denied)).waitSeconds).toBe(3600);
  });

  it('trusts devices whose chain leads to a listed device CA, signed by a manufacturer key bound to it; refuses a forged voucher around the same chain', async () => {
    const ca = await newDeviceCa();
    const realManufacturer = p256Key();
    const attacker = p256Key();
    const device = await newTestDevice(ca);
    const attempt = (manufacturer = realManufacturer, ownerKey = owner) =>
      ownedVoucher(device, manufacturer, [ownerKey]).then((voucher) =>
        runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
          voucher,
          ownerSigner: createSoftwareSigner(ownerKey),
          to2Addresses: [ADDRESS],
          waitSeconds: 60,
        }),
      );
    await expect(attempt()).rejects.toMatchObject({ code: ErrorCode.InvalidOwnershipVoucher });
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(ca.certificate).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const unbound = await api('POST', '/v1/rendezvous/policy/entries', { kind: 'device-ca', pem });
    expect(unbound.status).toBe(400);
    expect(unbound.body.detail).toMatch(/manufacturerKeys/);
    const mfrSha256 = spkiSha256(realManufacturer);
    const added = await api('POST', '/v1/rendezvous/policy/entries', {
      kind: 'device-ca',
      pem,
      manufacturerKeys: [mfrSha256],
    });
    expect(added.body).toMatchObject({
      kind: 'device-ca',
      certificateSubject: 'CN=Test Device CA',
      manufacturerKeys: [mfrSha256],
    });
    // The victim's real chain (public: it is in every copy of the voucher) with the attacker's own
    // manufacturer and owner keys: the chain validates, the manufacturer key is not the CA's.
    await expect(attempt(attacker, attacker)).rejects.toMatchObject({
      code: ErrorCode.InvalidOwnershipVoucher,
    });
    expect((await attempt()).waitSeconds).toBe(60);
  });

  it('saves settings (validated) that cut and raise requested registration times', async () => {
    const bad = await api('PUT', '/v1/rendezvous/policy', {
      openMode: true,
      minWaitSeconds: 500,
      maxWaitSeconds: 100,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/minWaitSeconds must not exceed maxWaitSeconds/);
    const saved = await api('PUT', '/v1/rendezvous/policy', {
      openMode: true,
      minWaitSeconds: 120,
      maxWaitSeconds: 1800,
    });
    expect(saved.body).toMatchObject({
      openMode: true,
      saved: true,
      minWaitSeconds: 120,
      maxWaitSeconds: 1800,
    });
    expect((await register(await newTestDevice())).waitSeconds).toBe(1800);
  });

  it('lists, reads and deletes registrations; a deleted one is unknown to TO1', async () => {
    const device = await newTestDevice();
    const special = p256Key();
    await register(device, special);
    const listed = await api(
      'GET',
      `/v1/rendezvous/registrations?ownerKeySha256=${spkiSha256(special)}&state=active`,
    );
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      guid: guidToHex(device.guid),
      active: true,
      numEntries: 1,
      to2Addresses: [{ ip: null, dns: 'owner.example.com', port: 8042, protocol: 'https' }],
    });
    const one = await api('GET', `/v1/rendezvous/registrations/${guidToUuid(device.guid)}`);
    expect(one.body.voucherPem).toMatch(/^-----BEGIN OWNERSHIP VOUCHER-----/);
    expect(one.body.to1d.length).toBeGreaterThan(0);

    const page = await api('GET', '/v1/rendezvous/registrations?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toBe(page.body.items[0].guid);
    const next = await api('GET', `/v1/rendezvous/registrations?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].guid > page.body.nextCursor).toBe(true);
    expect((await api('GET', '/v1/rendezvous/registrations?limit=0')).status).toBe(400);

    await runTo1(new FdoHttpSession({ baseUrl: rv.url }), { guid: device.guid, signer: device.signer });
    expect((await api('DELETE', `/v1/rendezvous/registrations/${guidToHex(device.guid)}`)).status).toBe(204);
    expect((await api('GET', `/v1/rendezvous/registrations/${guidToHex(device.guid)}`)).status).toBe(404);
    await expect(
      runTo1(new FdoHttpSession({ baseUrl: rv.url }), { guid: device.guid, signer: device.signer }),
    ).rejects.toMatchObject({ code: ErrorCode.ResourceNotFound });
  });
});
