export { ENTITY_SCHEMA, QUEUE_SCHEMA } from './database-schemas';
export {
  assertNoPendingMigrations,
  buildDataSourceOptions,
  migrateDatabase,
  openDataSource,
  PendingMigrationsError,
  type DatabaseConnectionOptions,
} from './data-source';
export {
  EmbeddedDatabaseBusyError,
  EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from './embedded/embedded-postgres';
export { ENTITIES, InstallationEntity } from './entities';
export { MIGRATIONS } from './migrations';
export { PersistenceModule } from './persistence.module';
export { createTestDatabase, type TestDatabase } from './testing/create-test-database';
export * from './ledger';
export * from './manufacturing';
export * from './ledger-api';
export * from './sztp';
export * from './rendezvous';
export * from './onboarding';
export * from './bootstrap';
export * from './fleet';
export { ExpiringCache } from './support/expiring-cache';
export { preparedQuery } from './support/prepared-query';
export { ResilientPgClient } from './support/resilient-pg-client';
