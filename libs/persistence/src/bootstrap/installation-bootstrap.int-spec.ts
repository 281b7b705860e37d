import { createHash, randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../data-source';
import { ApiKeyEntity } from '../ledger-api/api-key.entity';
import { RvPolicyEntryEntity } from '../rendezvous/rv-policy.entity';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';
import { BootstrapKeyConflictError, bootstrapInstallation } from './installation-bootstrap';

const sha = (text: string) => createHash('sha256').update(text).digest();

describe('bootstrapInstallation', () => {
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

  it('creates the operator key and trusted keys once, reports them present after, even when racing', async () => {
    const prefix = randomBytes(6).toString('hex');
    const input = {
      operatorKey: { prefix, sha256: sha('key one') },
      trustedManufacturerKeys: [
        { sha256: 'a'.repeat(64), label: 'supplier A' },
        { sha256: 'b'.repeat(64), label: 'supplier B' },
      ],
    };
    const first = await bootstrapInstallation(dataSource, input);
    expect(first).toEqual({
      operatorKey: { status: 'created', prefix },
      trustedManufacturerKeys: { created: 2, present: 0 },
    });
    const racing = await Promise.all([
      bootstrapInstallation(dataSource, input),
      bootstrapInstallation(dataSource, input),
    ]);
    for (const again of racing)
      expect(again).toEqual({
        operatorKey: { status: 'present', prefix },
        trustedManufacturerKeys: { created: 0, present: 2 },
      });
    const row = await dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ prefix });
    expect(row).toMatchObject({
      tenantId: null,
      name: 'bootstrap',
      roles: [],
      createdBy: 'system:bootstrap',
    });
    expect(row.keySha256.equals(sha('key one'))).toBe(true);
    expect(await dataSource.getRepository(RvPolicyEntryEntity).countBy({ kind: 'manufacturer-key' })).toBe(2);
  });

  it('leaves a revoked bootstrap key revoked and refuses a different key under the same prefix', async () => {
    const prefix = randomBytes(6).toString('hex');
    await bootstrapInstallation(dataSource, { operatorKey: { prefix, sha256: sha('key two') } });
    await dataSource.getRepository(ApiKeyEntity).update({ prefix }, { revokedAt: new Date() });
    expect(
      (await bootstrapInstallation(dataSource, { operatorKey: { prefix, sha256: sha('key two') } }))
        .operatorKey,
    ).toEqual({ status: 'revoked', prefix });
    await expect(
      bootstrapInstallation(dataSource, { operatorKey: { prefix, sha256: sha('another key') } }),
    ).rejects.toBeInstanceOf(BootstrapKeyConflictError);
    expect(await bootstrapInstallation(dataSource, {})).toEqual({
      operatorKey: { status: 'none' },
      trustedManufacturerKeys: { created: 0, present: 0 },
    });
  });
});
