import { type DataSource } from 'typeorm';
import { KeyCustodyError } from '@ztp/pki';
import { AuditLog } from './audit-log';

/**
 * The database side of moving software-custody keys into a PKCS#11 token (`npm run custody --
 * migrate`): which sealed records are candidates, and the retirement of a moved key's software copy.
 */
export class SoftwareKeyRetirement {
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    now: () => Date = () => new Date(),
  ) {
    this.audit = new AuditLog(now);
  }

  /** Ids of the sealed records whose purpose starts with none of `excludedPrefixes`, oldest first. */
  async keyIdsExcept(excludedPrefixes: readonly string[]): Promise<string[]> {
    const rows: { key_id: string }[] = await this.dataSource.query(
      `SELECT key_id FROM sealed_key
       WHERE NOT (purpose LIKE ANY ($1::text[])) ORDER BY created_at, key_id`,
      [excludedPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`)],
    );
    return rows.map((row) => row.key_id);
  }

  /**
   * Deletes the sealed record of `keyId` if it still holds `sealed` (compare and swap: a record
   * re-sealed or destroyed meanwhile is not touched) and writes `custody.key-migrated` on
   * `tenantId`'s audit chain, both in one transaction. `key-not-found` when the record changed.
   */
  async retire(input: {
    keyId: string;
    sealed: Uint8Array;
    tenantId: string;
    actor: string;
    data: Record<string, unknown>;
  }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const deleted: unknown[] = await manager.query(
        `DELETE FROM sealed_key WHERE key_id = $1 AND sealed = $2 RETURNING key_id`,
        [input.keyId, Buffer.from(input.sealed)],
      );
      if (deleted.length === 0) {
        throw new KeyCustodyError(
          'key-not-found',
          `the software copy of ${input.keyId} changed or went away during the migration; it was left as it is`,
        );
      }
      await this.audit.append(manager, {
        tenantId: input.tenantId,
        eventType: 'custody.key-migrated',
        subject: input.keyId,
        actor: input.actor,
        data: input.data,
      });
    });
  }
}
