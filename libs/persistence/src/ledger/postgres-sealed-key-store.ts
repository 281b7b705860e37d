import { KeyCustodyError, type KeySpec, type SealedKeyRecord, type SealedKeyStore } from '@ztp/pki';
import { type DataSource, QueryFailedError } from 'typeorm';
import { SealedKeyEntity } from './sealed-key.entity';

const UNIQUE_VIOLATION = '23505';

/** The key custody's sealed records in the `sealed_key` table. Insert-only, as the port requires. */
export class PostgresSealedKeyStore implements SealedKeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async put(record: SealedKeyRecord): Promise<void> {
    try {
      await this.dataSource.getRepository(SealedKeyEntity).insert({
        keyId: record.keyId,
        spec: record.spec,
        purpose: record.purpose,
        createdAt: record.createdAt,
        publicKeySpki: Buffer.from(record.publicKeySpki),
        sealed: Buffer.from(record.sealed),
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw new KeyCustodyError('key-exists', `a key with id ${record.keyId} already exists`);
      throw err;
    }
  }

  async get(keyId: string): Promise<SealedKeyRecord | undefined> {
    const row = await this.dataSource.getRepository(SealedKeyEntity).findOneBy({ keyId });
    if (!row) return undefined;
    return {
      keyId: row.keyId,
      spec: row.spec as KeySpec,
      purpose: row.purpose,
      createdAt: row.createdAt,
      publicKeySpki: new Uint8Array(row.publicKeySpki),
      sealed: new Uint8Array(row.sealed),
    };
  }

  async delete(keyId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(SealedKeyEntity).delete({ keyId });
    return (result.affected ?? 0) > 0;
  }
}
