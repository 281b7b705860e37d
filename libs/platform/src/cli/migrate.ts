/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or to the embedded database in
 * DATA_DIR/postgres, started for the run; not while an `npm start` has it open), including BullMQ's
 * queue schema when REDIS_URL is unset.
 */
import { loadConfig } from '@ztp/config';
import { createRootLogger } from '../logging/root-logger';
import { migrateAll, openDatabase } from '../runtime/database';
import { runMain } from '../runtime/run-main';

runMain(async () => {
  const config = loadConfig();
  const logger = createRootLogger(config, 'migrate');
  const database = await openDatabase(config, logger);
  try {
    const applied = await migrateAll(config, database, logger);
    logger.info(
      { applied },
      applied.length > 0 ? `Applied ${applied.length} migration(s)` : 'Nothing to migrate',
    );
  } finally {
    await database.close();
  }
});
