import { Check, Column, Entity, Generated, PrimaryColumn } from 'typeorm';

/**
 * The one row that identifies this installation (this database). Every app reports its id on
 * GET /info, so an operator can see at a glance that the apps share one database.
 */
@Check('installation_id_check', '(id = 1)')
@Entity({ name: 'installation' })
export class InstallationEntity {
  /** Always 1: the table holds a single row. */
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ name: 'installation_id', type: 'uuid' })
  @Generated('uuid')
  installationId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
