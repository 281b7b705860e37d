import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error';

const MASTER_KEY_BYTES = 32;

/**
 * Embedded mode keeps its key-custody master key in DATA_DIR/master.key (owner-only), generated on
 * first start, so a restart can still decrypt the keys stored in the embedded database.
 */
export function readOrCreateMasterKeyFile(dataDir: string): { masterKey: string; file: string } {
  const file = join(dataDir, 'master.key');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    return { masterKey: readMasterKeyFile(file), file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Write beside, then hard-link into place: the link either appears complete or not at all, so a
  // concurrent starter never reads a half-written key.
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
  try {
    linkSync(staging, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(staging);
  }
  return { masterKey: readMasterKeyFile(file), file };
}

function readMasterKeyFile(file: string): string {
  const { mode } = statSync(file);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ConfigError([
      `${file} must be readable by its owner only (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    ]);
  }
  const content = readFileSync(file, 'utf8').trim();
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(content) ? Buffer.from(content, 'base64') : undefined;
  if (decoded?.length !== MASTER_KEY_BYTES || decoded.toString('base64') !== content) {
    throw new ConfigError([`${file} must hold base64 of exactly ${MASTER_KEY_BYTES} bytes`]);
  }
  return content;
}
