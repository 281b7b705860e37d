import { type KeyObject, type X509Certificate } from 'node:crypto';

export interface DecodedKeyMaterial {
  readonly key: KeyObject;
  readonly chain: readonly X509Certificate[] | null;
}

/**
 * Keys already decoded, by the exact bytes of their PublicKey structure. Importing an EC key costs
 * OpenSSL 3 some 200 us, more than verifying a signature with it, while a service sees the same
 * manufacturer and owner keys on voucher after voucher. KeyObjects and certificates are immutable,
 * so sharing them is safe. Least recently used entries are evicted beyond `capacity`.
 */
export class DecodedKeyCache {
  private readonly entries = new Map<string, DecodedKeyMaterial>();

  constructor(private readonly capacity = 4096) {}

  get(bytes: Uint8Array): DecodedKeyMaterial | undefined {
    const id = this.id(bytes);
    const found = this.entries.get(id);
    if (found) {
      this.entries.delete(id);
      this.entries.set(id, found);
    }
    return found;
  }

  set(bytes: Uint8Array, material: DecodedKeyMaterial): void {
    this.entries.set(this.id(bytes), material);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  private id(bytes: Uint8Array): string {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
