/**
 * `npm run bootstrap`: the first run of a real deployment. Applies pending migrations (as `npm run
 * migrate`), then creates what the BOOTSTRAP_* variables ask for unless it exists: the first
 * platform-operator API key (chosen by the operator, stored as its SHA-256) and trusted manufacturer
 * keys of the rendezvous policy. Idempotent: the compose `bootstrap` service and the Helm hook run it
 * on every start or upgrade. Logs key prefixes and counts only, never a key.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '@ztp/config';
import { bootstrapInstallation, openDataSource, type BootstrapTrustedKey } from '@ztp/persistence';
import { createRootLogger, migrateAll, openDatabase, runMain, StartupError } from '@ztp/platform';
import { apiKeyPrefix, hashApiKey } from '../api-keys/api-key-format';
import { trustedKeysFromPem } from './trusted-keys';

runMain(async () => {
  const config = loadConfig();
  const logger = createRootLogger(config, 'bootstrap');
  const operatorKey = readOperatorKey(config.bootstrap);
  const trustedKeys = readTrustedKeys(config.bootstrap.rendezvousTrustedKeysFile);
  const database = await openDatabase(config, logger);
  try {
    const applied = await migrateAll(config, database, logger);
    if (applied.length > 0) logger.info({ applied }, `Applied ${applied.length} migration(s)`);
    const dataSource = await openDataSource({
      url: database.url,
      applicationName: 'ztp-bootstrap',
      poolSize: 1,
    });
    try {
      const result = await bootstrapInstallation(dataSource, {
        operatorKey: operatorKey && { prefix: operatorKey.prefix, sha256: hashApiKey(operatorKey.key) },
        trustedManufacturerKeys: trustedKeys,
      });
      const outcome = result.operatorKey;
      const shown = outcome.status === 'none' ? undefined : `ztp_${outcome.prefix}_...`;
      const said = {
        none: 'No BOOTSTRAP_OPERATOR_API_KEY(_FILE): no operator key to create',
        created: `Operator API key ${shown} created`,
        present: `Operator API key ${shown} already present`,
        revoked: `Operator API key ${shown} exists and is revoked; left revoked`,
      }[outcome.status];
      logger.info({ operatorKey: outcome.status, prefix: shown }, said);
      if (trustedKeys.length > 0)
        logger.info(
          result.trustedManufacturerKeys,
          `Rendezvous policy: ${result.trustedManufacturerKeys.created} trusted manufacturer key(s) added, ` +
            `${result.trustedManufacturerKeys.present} already listed`,
        );
      logger.info('Bootstrap complete');
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.close();
  }
});

function readOperatorKey(bootstrap: ReturnType<typeof loadConfig>['bootstrap']) {
  let key = bootstrap.operatorApiKey;
  if (bootstrap.operatorApiKeyFile !== undefined) {
    try {
      key = readFileSync(bootstrap.operatorApiKeyFile, 'utf8').trim();
    } catch (err) {
      throw new StartupError(
        `BOOTSTRAP_OPERATOR_API_KEY_FILE ${bootstrap.operatorApiKeyFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  }
  if (key === undefined) return undefined;
  const prefix = apiKeyPrefix(key);
  if (prefix === undefined)
    throw new StartupError(
      `BOOTSTRAP_OPERATOR_API_KEY_FILE ${bootstrap.operatorApiKeyFile ?? ''} does not hold an API key ` +
        'as `npm run auth:operator-key` prints it (ztp_<12 hex digits>_<43 base64url characters>)',
    );
  return { key, prefix };
}

function readTrustedKeys(file: string | undefined): BootstrapTrustedKey[] {
  if (file === undefined) return [];
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StartupError(
      `BOOTSTRAP_RENDEZVOUS_TRUSTED_KEYS_FILE ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    return trustedKeysFromPem(pem);
  } catch (err) {
    throw new StartupError(`BOOTSTRAP_RENDEZVOUS_TRUSTED_KEYS_FILE ${file}: ${(err as Error).message}`);
  }
}
