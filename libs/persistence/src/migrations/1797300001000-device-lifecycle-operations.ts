import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The device lifecycle's operations (issue #14): the re-onboarding policy overridable per device
 * group and per device (`reonboarding`, null: inherit) and the on-request arm
 * (`reonboard_requested_at`, consumed by the next TO2); resale (`onboarded -> owned` when an owner
 * tenant accepts a transfer of an onboarded device's voucher); refurbish (a manufacturer's explicit
 * act that lets a decommissioned device's serial go through DI again: `refurbished_at` on the
 * decommissioned row, and the serial's uniqueness no longer counts decommissioned rows).
 */
export class DeviceLifecycleOperations1797300001000 implements MigrationInterface {
  name = 'DeviceLifecycleOperations1797300001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE device
        ADD COLUMN reonboarding text CHECK (reonboarding IN ('never', 'same-owner', 'on-request')),
        ADD COLUMN reonboard_requested_at timestamptz,
        ADD COLUMN refurbished_at timestamptz,
        ADD CONSTRAINT device_refurbished_check
          CHECK (refurbished_at IS NULL OR lifecycle = 'decommissioned')`);
    await queryRunner.query(`
      ALTER TABLE device_group
        ADD COLUMN reonboarding text CHECK (reonboarding IN ('never', 'same-owner', 'on-request'))`);
    await queryRunner.query(
      `INSERT INTO device_lifecycle_transition (from_state, to_state) VALUES ('onboarded', 'owned')`,
    );
    await queryRunner.query(`DROP INDEX device_manufacturer_serial`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX device_manufacturer_serial ON device (manufacturer_tenant_id, serial_number)
        WHERE manufacturer_tenant_id IS NOT NULL AND serial_number IS NOT NULL
          AND lifecycle <> 'decommissioned'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX device_manufacturer_serial`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX device_manufacturer_serial ON device (manufacturer_tenant_id, serial_number)
        WHERE manufacturer_tenant_id IS NOT NULL AND serial_number IS NOT NULL`);
    await queryRunner.query(
      `DELETE FROM device_lifecycle_transition WHERE from_state = 'onboarded' AND to_state = 'owned'`,
    );
    await queryRunner.query(`ALTER TABLE device_group DROP COLUMN reonboarding`);
    await queryRunner.query(`
      ALTER TABLE device
        DROP CONSTRAINT device_refurbished_check,
        DROP COLUMN refurbished_at,
        DROP COLUMN reonboard_requested_at,
        DROP COLUMN reonboarding`);
  }
}
