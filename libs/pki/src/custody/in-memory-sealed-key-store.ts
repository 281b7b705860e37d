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
}

function copyRecord(record: SealedKeyRecord): SealedKeyRecord {
  return {
    ...record,
    createdAt: new Date(record.createdAt.getTime()),
    publicKeySpki: Uint8Array.from(record.publicKeySpki),
    sealed: Uint8Array.from(record.sealed),
  };
}
