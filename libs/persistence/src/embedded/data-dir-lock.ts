import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** Another live process (or this one) already has the embedded database open. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database in ${dataDir} is already open in process ${pid}; ` +
        'stop that process first (two processes on one PGlite directory would corrupt it)',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

/**
 * PGlite has no cross-process locking of its data directory, so the directory is claimed with a
 * pid file created exclusively. A lock left by a process that no longer exists is taken over.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  const claim = () => writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  try {
    claim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    if (Number.isInteger(holder) && isAlive(holder)) throw new EmbeddedDatabaseBusyError(dataDir, holder);
    unlinkSync(lockFile);
    claim();
  }
  return () => {
    try {
      if (Number.parseInt(readFileSync(lockFile, 'utf8'), 10) === process.pid) unlinkSync(lockFile);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
