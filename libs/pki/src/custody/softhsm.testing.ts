import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's softhsm2 package puts the module; SOFTHSM2_MODULE overrides it. */
export const SOFTHSM2_MODULE = process.env['SOFTHSM2_MODULE'] ?? '/usr/lib/softhsm/libsofthsm2.so';

export interface TestToken {
  readonly modulePath: string;
  readonly label: string;
  readonly pin: string;
  readonly dir: string;
  /** Initializes one more token (same PIN) beside the first; do it before the module is initialized. */
  addToken(label: string): void;
  remove(): void;
}

/**
 * A fresh SoftHSM2 token in its own temporary folder with its own SOFTHSM2_CONF (set in this process's
 * environment, which the module reads at C_Initialize). Fails when SoftHSM2 is missing; the
 * tests skip without it outside CI, and CI installs it (.ci/run).
 */
export function createSoftHsmToken(label = 'ztp-test'): TestToken {
  if (!existsSync(SOFTHSM2_MODULE)) {
    throw new Error(`SoftHSM2 is not installed (${SOFTHSM2_MODULE} missing): apt-get install -y softhsm2`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ztp-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  const pin = '246810';
  const addToken = (tokenLabel: string) =>
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', tokenLabel, '--so-pin', '13579', '--pin', pin],
      { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' },
    );
  addToken(label);
  return {
    modulePath: SOFTHSM2_MODULE,
    label,
    pin,
    dir,
    addToken,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
