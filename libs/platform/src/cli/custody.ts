/**
 * `npm run custody -- reseal`: master-key rotation for the software custody. Re-seals every sealed
 * key not yet under the current master key (KEY_CUSTODY_MASTER_KEY, version
 * KEY_CUSTODY_MASTER_KEY_VERSION), unwrapping with KEY_CUSTODY_PREVIOUS_MASTER_KEYS.
 * `npm run custody -- retire VERSION`: succeeds only when no key is sealed under VERSION any more, so
 * that version can be dropped from KEY_CUSTODY_PREVIOUS_MASTER_KEYS; refused (exit 1) otherwise.
 */
import { loadConfig } from '@ztp/config';
import { openDataSource } from '@ztp/persistence';
import { KeyCustodyError } from '@ztp/pki';
import { createRootLogger } from '../logging/root-logger';
import { softwareKeyCustody } from '../ports/key-custody.provider';
import { openDatabase } from '../runtime/database';
import { runMain } from '../runtime/run-main';

runMain(async () => {
  const [command, argument] = process.argv.slice(2);
  if (command !== 'reseal' && command !== 'retire') {
    throw new Error('usage: npm run custody -- reseal | retire VERSION');
  }
  const config = loadConfig();
  const logger = createRootLogger(config, 'custody');
  const database = await openDatabase(config, logger);
  const dataSource = await openDataSource({ url: database.url, applicationName: 'ztp-custody', poolSize: 2 });
  try {
    const custody = softwareKeyCustody(config, dataSource, () => new Date());
    if (command === 'reseal') {
      const { resealed } = await custody.resealAll();
      logger.info(
        { resealed, version: config.keyCustodyMasterKeys.currentVersion },
        `Re-sealed ${resealed} key(s) under master key version ${config.keyCustodyMasterKeys.currentVersion}`,
      );
      return;
    }
    const version = Number(argument);
    if (!Number.isInteger(version) || version < 1 || version > 255) {
      throw new Error('retire needs a master key version 1..255');
    }
    try {
      await custody.assertMasterKeyRetirable(version);
    } catch (error) {
      if (error instanceof KeyCustodyError) {
        logger.error({ version, code: error.code }, error.message);
        process.exitCode = 1;
        return;
      }
      throw error;
    }
    logger.info(
      { version },
      `No key uses master key version ${version}: remove it from KEY_CUSTODY_PREVIOUS_MASTER_KEYS`,
    );
  } finally {
    await dataSource.destroy();
    await database.close();
  }
});
