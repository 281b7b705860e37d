/**
 * Key custody operations on the configured database (and token):
 *
 * `npm run custody -- reseal`: master-key rotation for the software custody. Re-seals every sealed
 * key not yet under the current master key (KEY_CUSTODY_MASTER_KEY, version
 * KEY_CUSTODY_MASTER_KEY_VERSION), unwrapping with KEY_CUSTODY_PREVIOUS_MASTER_KEYS.
 * `npm run custody -- retire VERSION`: succeeds only when no key is sealed under VERSION any more, so
 * that version can be dropped from KEY_CUSTODY_PREVIOUS_MASTER_KEYS; refused (exit 1) otherwise.
 * `npm run custody -- migrate KEY_ID... | --all`: with KEY_CUSTODY=pkcs11, moves software keys into
 * the token (all long-lived ones with --all; Owner2Keys stay): imported non-extractable, checked,
 * then the sealed record deleted with a `custody.key-migrated` audit event on the key's tenant.
 * `npm run custody -- public-key KEY_ID`: prints the key's public key (PEM), the only export there is.
 */
import { createHash } from 'node:crypto';
import { type AppConfig, loadConfig } from '@ztp/config';
import { openDataSource, SoftwareKeyRetirement } from '@ztp/persistence';
import {
  KeyCustodyError,
  migrateKeyToToken,
  type Pkcs11KeyCustody,
  RoutingKeyCustody,
  SHORT_LIVED_PURPOSE_PREFIXES,
  type SoftwareKeyCustody,
} from '@ztp/pki';
import { type Logger } from 'pino';
import { type DataSource } from 'typeorm';
import { createRootLogger } from '../logging/root-logger';
import { pkcs11KeyCustody, softwareKeyCustody } from '../ports/key-custody.provider';
import { openDatabase } from '../runtime/database';
import { runMain, StartupError } from '../runtime/run-main';

const USAGE =
  'usage: npm run custody -- reseal | retire VERSION | migrate KEY_ID... | migrate --all | public-key KEY_ID';
/** Every purpose of this system names its tenant after the class: `owner:<tenant id>`. */
const TENANT_IN_PURPOSE = /^[a-z0-9-]+:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

runMain(async () => {
  const [command, ...args] = process.argv.slice(2);
  if (!['reseal', 'retire', 'migrate', 'public-key'].includes(command ?? '') || !validArgs(command!, args)) {
    throw new StartupError(USAGE);
  }
  const config = loadConfig();
  if (command === 'migrate' && config.keyCustodyLongLived.kind !== 'pkcs11') {
    throw new StartupError(
      'migrate moves keys into the PKCS#11 token: set KEY_CUSTODY=pkcs11 and its settings',
    );
  }
  const logger = createRootLogger(config, 'custody');
  const database = await openDatabase(config, logger);
  const dataSource = await openDataSource({ url: database.url, applicationName: 'ztp-custody', poolSize: 2 });
  const now = () => new Date();
  const software = softwareKeyCustody(config, dataSource, now);
  const token = pkcs11KeyCustody(config, now);
  try {
    if (command === 'reseal') {
      const { resealed } = await software.resealAll();
      logger.info(
        { resealed, version: config.keyCustodyMasterKeys.currentVersion },
        `Re-sealed ${resealed} key(s) under master key version ${config.keyCustodyMasterKeys.currentVersion}`,
      );
    } else if (command === 'retire') {
      await refusedAsExit1(logger, () => retire(software, Number(args[0]), logger));
    } else if (command === 'migrate') {
      await refusedAsExit1(logger, () => migrate(config, dataSource, software, token!, args, logger));
    } else {
      await refusedAsExit1(logger, async () => {
        const custody = token ? new RoutingKeyCustody(token, software) : software;
        const publicKey = await custody.publicKey(args[0]!);
        process.stdout.write(publicKey.export({ type: 'spki', format: 'pem' }).toString());
      });
    }
  } finally {
    token?.close();
    await dataSource.destroy();
    await database.close();
  }
});

function validArgs(command: string, args: string[]): boolean {
  if (command === 'reseal') return args.length === 0;
  if (command === 'retire') {
    const version = Number(args[0]);
    return args.length === 1 && Number.isInteger(version) && version >= 1 && version <= 255;
  }
  if (command === 'public-key') return args.length === 1;
  return args.length > 0 && (args.length === 1 || !args.includes('--all'));
}

/** A custody refusal is one logged line and exit code 1, not a stack trace. */
async function refusedAsExit1(logger: Logger, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof KeyCustodyError)) throw error;
    logger.error({ code: error.code }, error.message);
    process.exitCode = 1;
  }
}

async function retire(software: SoftwareKeyCustody, version: number, logger: Logger): Promise<void> {
  await software.assertMasterKeyRetirable(version);
  logger.info(
    { version },
    `No key uses master key version ${version}: remove it from KEY_CUSTODY_PREVIOUS_MASTER_KEYS`,
  );
}

async function migrate(
  config: AppConfig,
  dataSource: DataSource,
  software: SoftwareKeyCustody,
  token: Pkcs11KeyCustody,
  args: string[],
  logger: Logger,
): Promise<void> {
  const retirement = new SoftwareKeyRetirement(dataSource);
  const keyIds = args[0] === '--all' ? await retirement.keyIdsExcept(SHORT_LIVED_PURPOSE_PREFIXES) : args;
  const longLived = config.keyCustodyLongLived;
  const tokenName = longLived.kind === 'pkcs11' ? (longLived.tokenLabel ?? `slot ${longLived.slotId}`) : '';
  let failed = 0;
  for (const keyId of keyIds) {
    try {
      const moved = await migrateKeyToToken({
        software,
        token,
        keyId,
        retire: async ({ info, sealed }) => {
          const tenantId = TENANT_IN_PURPOSE.exec(info.purpose)?.[1];
          if (!tenantId) {
            throw new KeyCustodyError(
              'invalid-purpose',
              `${keyId} (${info.purpose}) names no tenant to record the migration under; it was left in software`,
            );
          }
          await retirement.retire({
            keyId,
            sealed,
            tenantId,
            actor: 'system:custody-migrate',
            data: {
              purpose: info.purpose,
              spec: info.spec,
              from: 'software',
              to: 'pkcs11',
              token: tokenName,
              publicKeySha256: sha256Hex(info.publicKeySpki),
            },
          });
        },
      });
      logger.info(moved, `Moved ${keyId} (${moved.purpose}) into the token; its software copy is gone`);
    } catch (error) {
      if (!(error instanceof KeyCustodyError)) throw error;
      failed++;
      logger.error({ keyId, code: error.code }, error.message);
    }
  }
  logger.info({ migrated: keyIds.length - failed, failed }, `Migrated ${keyIds.length - failed} key(s)`);
  if (failed > 0) process.exitCode = 1;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
