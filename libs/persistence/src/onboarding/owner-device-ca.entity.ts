import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * A manufacturer device CA an owner trusts: in TO2 the device certificate chain of the voucher must
 * validate against one of the owner's trusted device CAs. An owner with none configured accepts
 * any chain (the voucher's entry signatures still tie the device to its manufacturer key).
 */
@Unique('owner_device_ca_owner_tenant_id_fingerprint_key', ['ownerTenantId', 'fingerprint'])
@Entity({ name: 'owner_device_ca' })
export class OwnerDeviceCaEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'owner_device_ca_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** DER. */
  @Column({ type: 'bytea' })
  certificate!: Buffer;

  /** SHA-256 of the DER, hex. */
  @Column({ type: 'text' })
  fingerprint!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
