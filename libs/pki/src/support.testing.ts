// Shared by this lib's *.spec.ts files only; not exported from index.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InMemorySealedKeyStore } from './custody/in-memory-sealed-key-store';
import { type MasterKey } from './custody/sealing';
import { SoftwareKeyCustody } from './custody/software-key-custody';

export const DAY_MS = 86_400_000;

/** A settable clock, so tests move time instead of waiting for it. */
export function testClock(startIso: string) {
  let current = new Date(startIso).getTime();
  return {
    now: () => new Date(current),
    set: (iso: string) => {
      current = new Date(iso).getTime();
    },
    advanceDays: (days: number) => {
      current += days * DAY_MS;
    },
  };
}

export function testMasterKey(version = 1): MasterKey {
  return { version, key: randomBytes(32) };
}

export function testCustody(now: () => Date, store = new InMemorySealedKeyStore()) {
  return { store, custody: new SoftwareKeyCustody({ store, masterKey: testMasterKey(), now }) };
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

const FIXTURE_ROOTS = [new URL('../../../test/fixtures/', import.meta.url)];

/** An interop fixture file (read-only third-party artifacts): the vendored copy under test/fixtures. */
export function fixtureText(relative: string): string {
  const root = FIXTURE_ROOTS.find((dir) => existsSync(fileURLToPath(new URL(relative, dir))));
  if (!root) throw new Error(`fixture ${relative} not found`);
  return readFileSync(fileURLToPath(new URL(relative, root)), 'utf8');
}
