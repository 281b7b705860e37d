import { KeyCustodyError, type KeySpec, type SealedKeyRecord, type SealedKeyStore } from '@ztp/pki';
import { type DataSource, QueryFailedError } from 'typeorm';
import { SealedKeyEntity } from './sealed-key.entity';

const UNIQUE_VIOLATION = '23505';

/**
 * The key custody's sealed records in the `sealed_key` table. Insert-only, as the port requires, except
 * for master-key rotation's compare-and-swap of `sealed`.
 */
export class PostgresSealedKeyStore implements SealedKeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async put(record: SealedKeyRecord): Promise<void> {
    try {
      // Plain SQL: every TO2 takes a new Owner2Key into custody, and a repository insert costs
      // more CPU than the statement itself.
      await this.dataSource.query(
        `INSERT INTO sealed_key (key_id, spec, purpose, created_at, public_key_spki, sealed)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          record.keyId,
          record.spec,
          record.purpose,
          record.createdAt,
          Buffer.from(record.publicKeySpki),
          Buffer.from(record.sealed),
        ],
      );
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw new KeyCustodyError('key-exists', `a key with id ${record.keyId} already exists`);
      throw err;
    }
  }

  async get(keyId: string): Promise<SealedKeyRecord | undefined> {
    const rows: {
      key_id: string;
      spec: KeySpec;
      purpose: string;
      created_at: Date;
      public_key_spki: Buffer;
      sealed: Buffer;
    }[] = await this.dataSource.query(
      `SELECT key_id, spec, purpose, created_at, public_key_spki, sealed FROM sealed_key WHERE key_id = $1`,
      [keyId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      keyId: row.key_id,
      spec: row.spec,
      purpose: row.purpose,
      createdAt: row.created_at,
      publicKeySpki: new Uint8Array(row.public_key_spki),
      sealed: new Uint8Array(row.sealed),
    };
  }

  async delete(keyId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(SealedKeyEntity).delete({ keyId });
    return (result.affected ?? 0) > 0;
  }

  async keyIdsNotSealedWith(version: number, limit: number): Promise<string[]> {
    const rows: { key_id: string }[] = await this.dataSource.query(
      `SELECT key_id FROM sealed_key WHERE get_byte(sealed, 1) <> $1 ORDER BY key_id LIMIT $2`,
      [version, limit],
    );
    return rows.map((row) => row.key_id);
  }

  async countSealedWith(version: number): Promise<number> {
    const rows: { count: string }[] = await this.dataSource.query(
      `SELECT count(*) AS count FROM sealed_key WHERE get_byte(sealed, 1) = $1`,
      [version],
    );
    return Number(rows[0]?.count ?? 0);
  }

  async replaceSealed(keyId: string, expected: Uint8Array, replacement: Uint8Array): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count] rather than rows.
    const rows: { replaced: string }[] = await this.dataSource.query(
      `WITH replaced AS (
         UPDATE sealed_key SET sealed = $3 WHERE key_id = $1 AND sealed = $2 RETURNING key_id
       ) SELECT count(*) AS replaced FROM replaced`,
      [keyId, Buffer.from(expected), Buffer.from(replacement)],
    );
    return Number(rows[0]?.replaced) === 1;
  }
}
