import { runMain } from '@ztp/platform';
import { bootRendezvous } from './boot-rendezvous';

/**
 * The rendezvous app alone in this process, on a fresh test database (see bootRendezvous), for
 * the benchmark (RENDEZVOUS_* and LOG_LEVEL from the environment apply): prints one JSON line `{"url"}` once it listens, stops on SIGTERM.
 * Run as a child process so the server has its own core and event loop.
 */
runMain(async () => {
  const settings = Object.entries(process.env).filter(([name]) => /^(RENDEZVOUS_|LOG_LEVEL$)/.test(name));
  const rv = await bootRendezvous(Object.fromEntries(settings));
  process.stdout.write(`${JSON.stringify({ url: rv.url, pid: process.pid })}\n`);
  process.once('SIGTERM', () => {
    void rv.close().then(() => process.exit(0));
  });
});
