import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A file an owner delivers to devices with fdo.download. Immutable: a new version is a new row, so
 * rendered bundles and running TO2 sessions keep referring to exactly the bytes they announced.
 */
@Entity({ name: 'config_file' })
export class ConfigFileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  ownerTenantId!: string;

  /** A label for people (the name on the device comes from the plan). */
  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer' })
  size!: number;

  /** SHA-384 of the content: sent as fdo.download:sha-384 and checked by the device. */
  @Column({ type: 'bytea' })
  sha384!: Buffer;

  @Column({ type: 'bytea' })
  content!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
