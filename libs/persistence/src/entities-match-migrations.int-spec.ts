import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataSource } from 'typeorm';
import { createTestDatabase, openDataSource, type TestDatabase } from './index';

/**
 * The migrations own the schema; the entities must say the same thing, so that reading an entity
 * tells the truth about its table and `migration:generate` from the entities would be empty.
 *
 * TypeORM's schema builder compares columns (types, nullability, defaults, single-column uniques),
 * and constraints and indexes by name only: it would not see a CHECK whose expression differs, a
 * partial index whose WHERE differs, a foreign key pointing at other columns, or a table with no
 * entity. The tests after the first close those gaps against the catalog.
 *
 * What TypeORM cannot describe at all stays in the migrations and is listed in
 * SCHEMA_OBJECTS_ONLY_IN_MIGRATIONS below, so a new one is a decision rather than an accident.
 */
const SCHEMA_OBJECTS_ONLY_IN_MIGRATIONS = {
  // TypeORM has no trigger or function metadata. The guard enforces the device state machine
  // (migration 1795231000000; ARCHITECTURE.md "Device lifecycle").
  triggers: ['device.device_lifecycle_guard', 'sztp_device.sztp_device_lifecycle_guard'],
  functions: ['device_lifecycle_guard'],
};

/** TypeORM's own bookkeeping table (migrationsTableName), not an entity. */
const TABLES_WITHOUT_ENTITY = ['migrations'];

describe('TypeORM entities describe the schema the migrations make', () => {
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

  it('generating a migration from the entities would produce nothing', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    expect(upQueries.map((query) => query.query)).toEqual([]);
  });

  it('every table the migrations make has an entity', async () => {
    const rows: { table_name: string }[] = await dataSource.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const entityTables = dataSource.entityMetadatas.map((metadata) => metadata.tableName);
    const withoutEntity = rows
      .map((row) => row.table_name)
      .filter((table) => !entityTables.includes(table) && !TABLES_WITHOUT_ENTITY.includes(table));
    expect(withoutEntity).toEqual([]);
  });

  it("check constraints have the database's expressions", async () => {
    const rows: { table: string; name: string; definition: string }[] = await dataSource.query(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND c.contype = 'c'`,
    );
    const inDatabase = rows.map((row) => `${row.table}.${row.name}: ${row.definition}`).sort();
    const inEntities = dataSource.entityMetadatas
      .flatMap((metadata) =>
        metadata.checks.map((check) => `${metadata.tableName}.${check.name}: CHECK (${check.expression})`),
      )
      .sort();
    expect(inEntities).toEqual(inDatabase);
  });

  it('indexes have the database columns, uniqueness and WHERE clauses', async () => {
    const rows: {
      table: string;
      name: string;
      unique: boolean;
      columns: string[];
      predicate: string | null;
    }[] = await dataSource.query(
      `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique,
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
                pg_get_expr(x.indpred, x.indrelid) AS predicate
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = 'public' AND NOT x.indisprimary AND t.relname <> ALL ($1)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
      [TABLES_WITHOUT_ENTITY],
    );
    const describe = (index: {
      table: string;
      name: string;
      unique: boolean;
      columns: string[];
      predicate: string | null | undefined;
    }) =>
      `${index.table}.${index.name}: ${index.unique ? 'unique ' : ''}(${index.columns.join(', ')})` +
      (index.predicate ? ` WHERE ${index.predicate}` : '');
    const inDatabase = rows.map(describe).sort();
    const inEntities = dataSource.entityMetadatas
      .flatMap((metadata) =>
        metadata.indices.map((index) =>
          describe({
            table: metadata.tableName,
            name: index.name,
            unique: index.isUnique,
            columns: index.columns.map((column) => column.databaseName),
            predicate: index.where,
          }),
        ),
      )
      .sort();
    expect(inEntities).toEqual(inDatabase);
  });

  it('foreign keys reference the database tables and columns, with the same actions', async () => {
    const rows: { definition: string; table: string; name: string }[] = await dataSource.query(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND c.contype = 'f'`,
    );
    const inDatabase = rows.map((row) => `${row.table}.${row.name}: ${row.definition}`).sort();
    const action = (what: 'DELETE' | 'UPDATE', rule: string | undefined) =>
      rule && rule !== 'NO ACTION' ? ` ON ${what} ${rule}` : '';
    const inEntities = dataSource.entityMetadatas
      .flatMap((metadata) =>
        metadata.foreignKeys.map(
          (foreignKey) =>
            `${metadata.tableName}.${foreignKey.name}: FOREIGN KEY (${foreignKey.columnNames.join(', ')}) ` +
            `REFERENCES ${foreignKey.referencedTablePath}(${foreignKey.referencedColumnNames.join(', ')})` +
            action('UPDATE', foreignKey.onUpdate) +
            action('DELETE', foreignKey.onDelete) +
            (foreignKey.deferrable ? ` DEFERRABLE ${foreignKey.deferrable}` : ''),
        ),
      )
      .sort();
    expect(inEntities).toEqual(inDatabase);
  });

  it('only the listed triggers and functions live in the migrations alone', async () => {
    const triggers: { name: string }[] = await dataSource.query(
      `SELECT tgrelid::regclass::text || '.' || tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
    );
    const functions: { name: string }[] = await dataSource.query(
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' ORDER BY 1`,
    );
    expect({
      triggers: triggers.map((row) => row.name),
      functions: functions.map((row) => row.name),
    }).toEqual(SCHEMA_OBJECTS_ONLY_IN_MIGRATIONS);
  });
});
