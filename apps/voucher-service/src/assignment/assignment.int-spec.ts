import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdoHttpSession, runDeviceInitialize } from '@ztp/fdo-client';
import { LedgerHarness, type LedgerTenant } from '../vouchers/ledger-harness.testing';
import { extendTo, manufacture, pemOf } from '../vouchers/voucher-builder.testing';
import { generateKeyPairSync } from 'node:crypto';

interface Page {
  items: { id: string; guid: string; status: string; ruleId?: string | null; numEntries?: number }[];
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('assignment rules (DI and received vouchers)', () => {
  let harness: LedgerHarness;
  let maker: LedgerTenant;
  let owner: LedgerTenant;
  let reseller: LedgerTenant;
  let serial = 0;

  const di = async (deviceInfo: string) =>
    (
      await runDeviceInitialize({
        session: new FdoHttpSession({ baseUrl: harness.url }),
        serialNumber: `RULES-${++serial}`,
        deviceInfo,
      })
    ).guid;

  beforeAll(async () => {
    harness = await LedgerHarness.start();
    maker = await harness.tenant('manufacturer', 'rules-maker');
    owner = await harness.tenant('owner', 'rules-owner');
    reseller = await harness.tenant('reseller', 'rules-reseller');
    const op = harness.operatorKey;
    await harness.call(op, 'POST', `/v1/manufacturers/${maker.id}/pki`, {});
    await harness.call(op, 'POST', `/v1/manufacturers/${maker.id}/stations`, {
      name: 'line-1',
      allowedCidrs: ['127.0.0.1/32'],
    });
    const keyless = await harness.call<{ id: string }>(op, 'POST', '/v1/tenants', {
      kind: 'owner',
      name: 'keyless',
      slug: 'rules-keyless',
    });
    const rule = (body: object) => harness.call(maker.key, 'POST', '/v1/assignment-rules', body);
    await rule({ name: 'other line', productionLine: 'line-x', targetTenant: 'rules-reseller', priority: 1 });
    await rule({ name: 'routers', deviceInfoPattern: 'router-*', targetTenant: 'rules-owner', priority: 10 });
    await rule({ name: 'odd', deviceInfoPattern: 'odd-*', targetTenant: keyless.id, priority: 20 });
  }, 120_000);
  afterAll(() => harness?.close());

  it('offers matching DI vouchers to the target (incoming until accepted); others stay', async () => {
    const router = await di('router-1');
    const sensor = await di('sensor-1');
    const incoming = await eventually(async () => {
      const page = await harness.call<Page>(
        owner.key,
        'GET',
        '/v1/transfers?direction=incoming&status=pending',
      );
      return page.items.find((t) => t.guid === router);
    });
    expect(incoming.ruleId).toBeNull();
    const made = await harness.call<Page>(maker.key, 'GET', '/v1/vouchers');
    expect(made.items.map((v) => v.guid).sort()).toEqual([router, sensor].sort());
    const outgoing = await harness.call<Page>(maker.key, 'GET', '/v1/transfers?direction=outgoing');
    expect(outgoing.items).toEqual([
      expect.objectContaining({ guid: router, status: 'pending', ruleId: expect.any(String) }),
    ]);
    await harness.call(owner.key, 'POST', `/v1/transfers/${incoming.id}/accept`, undefined, 200);
    expect((await harness.call<Page>(owner.key, 'GET', `/v1/vouchers?guid=${router}`)).items).toHaveLength(1);
  });

  it('hands over at once to a recipient that auto-accepts from the sender', async () => {
    await harness.call(
      owner.key,
      'PATCH',
      `/v1/tenants/${owner.id}/settings`,
      { autoAcceptTransfersFrom: [maker.id] },
      200,
    );
    const router = await di('router-2');
    const held = await eventually(
      async () => (await harness.call<Page>(owner.key, 'GET', `/v1/vouchers?guid=${router}`)).items[0],
    );
    expect(held).toMatchObject({ numEntries: 1, status: 'active' });
  });

  it('skips a rule that cannot apply without failing DI, and says so in the audit log', async () => {
    const odd = await di('odd-1');
    const skipped = await eventually(async () => {
      const events = await harness.call<{
        items: { eventType: string; subject: string; data: { reason: string } }[];
      }>(maker.key, 'GET', '/v1/audit/events?eventType=assignment.skipped');
      return events.items.find((e) => e.subject === `device:${odd}`);
    });
    expect(skipped.data.reason).toMatch(/no active P-256 owner key/);
    expect((await harness.call<Page>(maker.key, 'GET', `/v1/vouchers?guid=${odd}`)).items).toHaveLength(1);
  });

  it("applies a reseller's rules to imported vouchers", async () => {
    await harness.call(reseller.key, 'POST', '/v1/assignment-rules', {
      name: 'all',
      targetTenant: 'rules-owner',
    });
    const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const vouchers = await Promise.all(
      [0, 1].map(() =>
        extendTo(manufacture(outsider.publicKey), outsider.privateKey, reseller.ownerPublicKey),
      ),
    );
    const response = await fetch(`${harness.url}/v1/vouchers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${reseller.key}`, 'Content-Type': 'application/x-pem-file' },
      body: pemOf(vouchers),
    });
    expect(response.status).toBe(201);
    const offered = await eventually(async () => {
      const page = await harness.call<Page>(
        owner.key,
        'GET',
        '/v1/transfers?direction=incoming&status=pending',
      );
      return page.items.length >= 2 ? page.items : undefined;
    });
    expect(offered.map((t) => t.guid).sort()).toEqual(
      (await harness.call<Page>(reseller.key, 'GET', '/v1/vouchers')).items.map((v) => v.guid).sort(),
    );
  });
});
