import { KeyCustodyError } from '../errors';
import { type SealedKeyRecord, type SealedKeyStore } from './sealed-key-store';

/** SealedKeyStore in a Map: for tests and throwaway tools. Copies bytes in and out, like a database. */
export class InMemorySealedKeyStore implements SealedKeyStore {
  private readonly records = new Map<string, SealedKeyRecord>();

  async put(record: SealedKeyRecord): Promise<void> {
    if (this.records.has(record.keyId)) {
      throw new KeyCustodyError('key-exists', `a key with id ${record.keyId} already exists`);
    }
    this.records.set(record.keyId, copyRecord(record));
  }

  async get(keyId: string): Promise<SealedKeyRecord | undefined> {
    const record = this.records.get(keyId);
    return record && copyRecord(record);
  }

  async delete(keyId: string): Promise<boolean> {
    return this.records.delete(keyId);
  }

  async keyIdsNotSealedWith(version: number, limit: number): Promise<string[]> {
    return [...this.records.values()]
      .filter((record) => record.sealed[1] !== version)
      .slice(0, limit)
      .map((record) => record.keyId);
  }

  async countSealedWith(version: number): Promise<number> {
    return [...this.records.values()].filter((record) => record.sealed[1] === version).length;
  }

  async replaceSealed(keyId: string, expected: Uint8Array, replacement: Uint8Array): Promise<boolean> {
    const record = this.records.get(keyId);
    if (!record || !Buffer.from(record.sealed).equals(Buffer.from(expected))) return false;
    this.records.set(keyId, { ...record, sealed: Uint8Array.from(replacement) });
    return true;
  }
}

function copyRecord(record: SealedKeyRecord): SealedKeyRecord {
  return {
    ...record,
    createdAt: new Date(record.createdAt.getTime()),
    publicKeySpki: Uint8Array.from(record.publicKeySpki),
    sealed: Uint8Array.from(record.sealed),
  };
}
