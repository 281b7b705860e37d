import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The manufacturer keys a trusted device CA vouches for: a voucher accepted through a device CA must
 * be signed by one of them (or by a trusted manufacturer key). A device chain alone is public (it is
 * in every copy of the voucher), so alone it proved nothing about who built the voucher.
 */
export class BindDeviceCaManufacturerKeys1797200000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE rv_policy_entry ADD COLUMN manufacturer_keys text[] NOT NULL DEFAULT '{}'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rv_policy_entry DROP COLUMN manufacturer_keys`);
  }
}
