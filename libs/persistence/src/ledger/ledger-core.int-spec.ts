import { generateKeyPairSync } from 'node:crypto';
import { KeyCustodyError, SoftwareKeyCustody } from '@ztp/pki';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../data-source';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';
import { AuditEventEntity } from './audit-event.entity';
import { auditAppendCtes, AuditLog, AuditOutsideTransactionError } from './audit-log';
import { PostgresSealedKeyStore } from './postgres-sealed-key-store';
import { TenantEntity } from './tenant.entity';

let database: TestDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

async function newTenant(slug: string): Promise<TenantEntity> {
  return dataSource.getRepository(TenantEntity).save({ kind: 'owner', name: slug, slug, settings: {} });
}

describe('AuditLog (hash-chained per tenant)', () => {
  const audit = new AuditLog();

  it('chains events per tenant and verifies; a tampered event breaks the chain from there', async () => {
    const acme = await newTenant('acme');
    const other = await newTenant('other');
    for (let i = 0; i < 3; i++)
      await dataSource.transaction((m) =>
        audit.append(m, {
          tenantId: acme.id,
          eventType: 'voucher.imported',
          subject: `voucher:${i}`,
          data: { i, b: { z: 1, a: 2 } },
        }),
      );
    await dataSource.transaction((m) => audit.append(m, { tenantId: other.id, eventType: 'tenant.created' }));

    const events = await dataSource
      .getRepository(AuditEventEntity)
      .find({ where: { tenantId: acme.id }, order: { seq: 'ASC' } });
    expect(events.map((e) => e.seq)).toEqual(['1', '2', '3']);
    expect(events[1]!.prevHash).toEqual(events[0]!.hash);
    expect(await dataSource.transaction((m) => audit.verifyChain(m, acme.id))).toEqual({
      valid: true,
      count: 3,
    });
    expect((await dataSource.transaction((m) => audit.verifyChain(m, other.id))).count).toBe(1);

    await dataSource.query(`UPDATE audit_event SET data = '{"i": 99}' WHERE tenant_id = $1 AND seq = 2`, [
      acme.id,
    ]);
    const report = await dataSource.transaction((m) => audit.verifyChain(m, acme.id));
    expect(report).toMatchObject({ valid: false, brokenAtSeq: '2' });

    await dataSource.query(`DELETE FROM audit_event WHERE tenant_id = $1 AND seq = 3`, [other.id]);
    expect((await dataSource.transaction((m) => audit.verifyChain(m, other.id))).valid).toBe(true);
    await dataSource.query(`DELETE FROM audit_event WHERE tenant_id = $1`, [other.id]);
    expect((await dataSource.transaction((m) => audit.verifyChain(m, other.id))).valid).toBe(false);
  });

  it('rolls back with the change it records, and refuses to write outside a transaction', async () => {
    const tenant = await newTenant('rollback');
    await expect(
      dataSource.transaction(async (m) => {
        await audit.append(m, { tenantId: tenant.id, eventType: 'x' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await dataSource.getRepository(AuditEventEntity).countBy({ tenantId: tenant.id })).toBe(0);
    await expect(
      audit.append(dataSource.manager, { tenantId: tenant.id, eventType: 'x' }),
    ).rejects.toBeInstanceOf(AuditOutsideTransactionError);
  });

  it('serialises concurrent appends for one tenant without gaps', async () => {
    const tenant = await newTenant('busy');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        dataSource.transaction((m) => audit.append(m, { tenantId: tenant.id, eventType: 'n', data: { i } })),
      ),
    );
    expect(await dataSource.transaction((m) => audit.verifyChain(m, tenant.id))).toEqual({
      valid: true,
      count: 8,
    });
  });
});

describe('auditAppendCtes (audit events inside one statement)', () => {
  const audit = new AuditLog();

  async function appendInStatement(tenantId: string, condition: string, i: number): Promise<number> {
    const { ctes, params } = auditAppendCtes({
      tenantId,
      events: [
        {
          eventType: 'voucher.replaced',
          subject: `voucher:${i}`,
          actor: 'device:x',
          data: { i, z: { b: 1, a: 'ü' } },
        },
        { eventType: 'device.onboarded', data: { i, list: [1, 'two', null, 2.5] } },
      ],
      occurredAt: new Date(),
      condition,
      firstParam: 2,
    });
    const rows: { n: number; heads: number }[] = await dataSource.query(
      `WITH gate AS (SELECT $1::int AS g), ${ctes}
       SELECT (SELECT count(*) FROM audit_events)::int AS n, (SELECT count(*) FROM audit_head_moved)::int AS heads`,
      [1, ...params],
    );
    expect(rows[0]!.heads).toBe(rows[0]!.n === 0 ? 0 : 1);
    return rows[0]!.n;
  }

  it('extends the same chain as append, with the same hashes; writes nothing when its condition fails', async () => {
    const tenant = await newTenant('one-statement');
    await dataSource.transaction((m) =>
      audit.append(m, { tenantId: tenant.id, eventType: 'tenant.created' }),
    );
    expect(await appendInStatement(tenant.id, 'EXISTS (SELECT 1 FROM gate WHERE g = 1)', 1)).toBe(2);
    expect(await appendInStatement(tenant.id, 'EXISTS (SELECT 1 FROM gate WHERE g = 2)', 2)).toBe(0);
    await dataSource.transaction((m) => audit.append(m, { tenantId: tenant.id, eventType: 'after' }));
    expect(await dataSource.transaction((m) => audit.verifyChain(m, tenant.id))).toEqual({
      valid: true,
      count: 4,
    });
    const events = await dataSource
      .getRepository(AuditEventEntity)
      .find({ where: { tenantId: tenant.id }, order: { seq: 'ASC' } });
    expect(events.map((e) => [e.seq, e.eventType, e.subject, e.actor])).toEqual([
      ['1', 'tenant.created', null, null],
      ['2', 'voucher.replaced', 'voucher:1', 'device:x'],
      ['3', 'device.onboarded', null, null],
      ['4', 'after', null, null],
    ]);
    // A changed event still shows: the hashes PostgreSQL computed are the ones verifyChain recomputes.
    await dataSource.query(`UPDATE audit_event SET actor = 'device:y' WHERE tenant_id = $1 AND seq = 2`, [
      tenant.id,
    ]);
    expect(await dataSource.transaction((m) => audit.verifyChain(m, tenant.id))).toMatchObject({
      valid: false,
      brokenAtSeq: '2',
    });
  });

  it('serialises with concurrent appends of the same tenant without gaps', async () => {
    const tenant = await newTenant('one-statement-busy');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? appendInStatement(tenant.id, 'true', i)
          : dataSource.transaction((m) =>
              audit.append(m, { tenantId: tenant.id, eventType: 'n', data: { i } }),
            ),
      ),
    );
    expect(await dataSource.transaction((m) => audit.verifyChain(m, tenant.id))).toEqual({
      valid: true,
      count: 12,
    });
  });
});

describe('PostgresSealedKeyStore', () => {
  it('rotates the master key in SQL: re-seals version 1 records to version 2, then version 1 is retirable', async () => {
    const store = new PostgresSealedKeyStore(dataSource);
    const v1 = { version: 1, key: new Uint8Array(32).fill(11) };
    const v2 = { version: 2, key: new Uint8Array(32).fill(12) };
    const before = new SoftwareKeyCustody({ store, masterKey: v1, now: () => new Date() });
    await before.generateKey({ keyId: 'rot-a', spec: 'P-256', purpose: 'root-ca' });
    await before.generateKey({ keyId: 'rot-b', spec: 'P-384', purpose: 'owner:x' });
    const rotating = new SoftwareKeyCustody({
      store,
      masterKey: v2,
      retiredMasterKeys: [v1],
      now: () => new Date(),
    });
    await expect(rotating.assertMasterKeyRetirable(1)).rejects.toMatchObject({ code: 'master-key-in-use' });
    const { resealed } = await rotating.resealAll(1);
    expect(resealed).toBeGreaterThanOrEqual(2);
    const rows: { version: number }[] = await dataSource.query(
      `SELECT get_byte(sealed, 1) AS version FROM sealed_key WHERE key_id IN ('rot-a', 'rot-b')`,
    );
    expect(rows.map((row) => row.version)).toEqual([2, 2]);
    await rotating.assertMasterKeyRetirable(1);
    const after = new SoftwareKeyCustody({ store, masterKey: v2, now: () => new Date() });
    const signer = await after.signer('rot-b');
    expect(await signer.sign(Buffer.from('x'))).toHaveLength(96);
    expect(await store.replaceSealed('rot-a', Buffer.from('stale'), Buffer.from('x'))).toBe(false);
  });

  it('backs SoftwareKeyCustody: keys survive a new custody instance, ids are unique, nothing readable is stored', async () => {
    const store = new PostgresSealedKeyStore(dataSource);
    const masterKey = { version: 1, key: new Uint8Array(32).fill(7) };
    const custody = new SoftwareKeyCustody({ store, masterKey, now: () => new Date() });
    const info = await custody.generateKey({ keyId: 'owner-1', spec: 'P-256', purpose: 'owner' });
    const fresh = new SoftwareKeyCustody({ store, masterKey, now: () => new Date() });
    const signer = await fresh.signer('owner-1');
    expect(signer.publicKey.export({ format: 'der', type: 'spki' })).toEqual(Buffer.from(info.publicKeySpki));
    await expect(
      custody.generateKey({ keyId: 'owner-1', spec: 'P-256', purpose: 'owner' }),
    ).rejects.toBeInstanceOf(KeyCustodyError);
    const imported = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await custody.importKey({ keyId: 'imported', privateKey: imported, purpose: 'test' });
    const [row] = await dataSource.query(`SELECT sealed FROM sealed_key WHERE key_id = 'imported'`);
    const der = imported.export({ format: 'der', type: 'pkcs8' });
    expect(Buffer.from(row.sealed).includes(der.subarray(-32))).toBe(false);
    expect(await store.delete('imported')).toBe(true);
    expect(await store.get('imported')).toBeUndefined();
  });
});
