import { type EntityManager } from 'typeorm';

/**
 * Deletes rendezvous registrations that expired before `before`, at most `batch` per call (so a
 * large backlog never holds one long transaction). Returns how many went. TO1 already ignores
 * expired rows; this only keeps the table small.
 */
export async function deleteExpiredRegistrations(
  manager: EntityManager,
  before: Date,
  batch = 1000,
): Promise<number> {
  // TypeORM answers a DELETE with [rows, affected count].
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM rv_registration WHERE guid IN (
       SELECT guid FROM rv_registration WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2
     )`,
    [before, batch],
  );
  return deleted;
}
