import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU so far (ms) of each readable postgres process (the database server on this machine), by pid. */
export type PostgresCpu = ReadonlyMap<string, number>;

export function postgresCpu(): PostgresCpu | undefined {
  const cpu = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.split(') ')[1]!.split(' ');
      cpu.set(entry, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // The process ended meanwhile.
    }
  }
  return cpu.size ? cpu : undefined;
}

/**
 * PostgreSQL CPU (ms) used between two readings: the growth of processes seen both times plus all of
 * those started since. A backend that exited meanwhile is missed, so this is a lower bound.
 */
export function postgresCpuSince(before: PostgresCpu): number {
  let total = 0;
  for (const [pid, ms] of postgresCpu() ?? new Map<string, number>()) total += ms - (before.get(pid) ?? 0);
  return total;
}
