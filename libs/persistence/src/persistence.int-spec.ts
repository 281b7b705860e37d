import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataSource } from 'typeorm';
import {
  assertNoPendingMigrations,
  createTestDatabase,
  InstallationEntity,
  migrateDatabase,
  MIGRATIONS,
  openDataSource,
  PendingMigrationsError,
  type TestDatabase,
} from './index';

describe(`persistence on ${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'}`, () => {
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

  it('uses the server named by DATABASE_URL when it is set', () => {
    expect(database.kind).toBe(process.env['DATABASE_URL'] ? 'postgres' : 'embedded');
  });

  it('has run every registered migration, in order', async () => {
    const rows: { name: string }[] = await dataSource.query('SELECT name FROM migrations ORDER BY id');
    expect(rows.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    const [installation] = await dataSource.getRepository(InstallationEntity).find();
    expect(installation?.installationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  });

  it('applies nothing the second time and reports no pending migration', async () => {
    expect(await migrateDatabase(database.url)).toEqual([]);
    await expect(assertNoPendingMigrations(database.url)).resolves.toBeUndefined();
  });

  it('rolls a failed transaction back', async () => {
    const repository = dataSource.getRepository(InstallationEntity);
    const before = await repository.findOneByOrFail({ id: 1 });
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.update(
          InstallationEntity,
          { id: 1 },
          { installationId: '00000000-0000-4000-8000-000000000000' },
        );
        const inside = await manager.findOneByOrFail(InstallationEntity, { id: 1 });
        expect(inside.installationId).toBe('00000000-0000-4000-8000-000000000000');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await repository.findOneByOrFail({ id: 1 })).installationId).toBe(before.installationId);
  });

  it('commits a successful transaction', async () => {
    const createdAt = new Date('2030-01-01T00:00:00Z');
    await dataSource.transaction((manager) => manager.update(InstallationEntity, { id: 1 }, { createdAt }));
    expect((await dataSource.getRepository(InstallationEntity).findOneByOrFail({ id: 1 })).createdAt).toEqual(
      createdAt,
    );
  });

  it('reports the migrations an unmigrated database lacks', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const failure = await assertNoPendingMigrations(empty.url).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(PendingMigrationsError);
      expect((failure as PendingMigrationsError).pending).toEqual(
        MIGRATIONS.map((migration) => migration.name),
      );
    } finally {
      await empty.drop();
    }
  });
});
