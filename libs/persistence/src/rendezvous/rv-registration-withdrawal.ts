import { type EntityManager } from 'typeorm';

/**
 * Withdraws the registrations this installation's rendezvous holds for a device's GUIDs, in the
 * caller's transaction: FDO has no message that takes a TO0 registration back, so a device that
 * was disabled, decommissioned or sold must not be sent to its owner (or previous owner) by a
 * registration that is still in force. With `ownerKeySha256`, only that owner key's (the previous
 * holder's, on a resale) go. A rendezvous server run elsewhere keeps its registration until it
 * expires (at most the TO0 wait the owner asked for). Returns how many went.
 */
export async function withdrawRegistrations(
  manager: EntityManager,
  guids: readonly string[],
  ownerKeySha256?: string,
): Promise<number> {
  // TypeORM answers a DELETE with [rows, affected count].
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM rv_registration WHERE guid = ANY ($1::text[]) AND ($2::text IS NULL OR owner_key_sha256 = $2)`,
    [guids, ownerKeySha256 ?? null],
  );
  return deleted;
}
