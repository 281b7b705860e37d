import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A private key sealed by the key custody (libs/pki SoftwareKeyCustody). `sealed` is ciphertext
 * under a data key wrapped by the master key; nothing here reveals the private key.
 */
@Entity({ name: 'sealed_key' })
export class SealedKeyEntity {
  @PrimaryColumn({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ type: 'text' })
  spec!: string;

  @Column({ type: 'text' })
  purpose!: string;

  /** Kept to the millisecond: it is bound into the seal. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'public_key_spki', type: 'bytea' })
  publicKeySpki!: Buffer;

  @Column({ type: 'bytea' })
  sealed!: Buffer;
}
