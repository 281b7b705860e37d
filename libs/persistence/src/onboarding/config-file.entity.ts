import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * A file an owner delivers to devices with fdo.download. Immutable: a new version is a new row, so
 * rendered bundles and running TO2 sessions keep referring to exactly the bytes they announced.
 */
@Check('config_file_size_check', '(size >= 0)')
@Index('config_file_owner', ['ownerTenantId', 'createdAt'])
@Entity({ name: 'config_file' })
export class ConfigFileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'config_file_owner_tenant_id_fkey' })
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
