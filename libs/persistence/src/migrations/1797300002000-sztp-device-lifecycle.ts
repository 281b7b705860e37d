import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * SZTP devices under the same device state machine as FDO devices (the transitions of
 * `device_lifecycle_transition`, guarded by the same trigger function): a row starts
 * `manufactured`; the owner holding its voucher disables, enables and decommissions it, and the
 * SZTP servers refuse a disabled or decommissioned device with a RESTCONF error. (Bootstrapping
 * progress stays in `bootstrap_state`; the owned/onboarded moves are FDO's for now.)
 */
export class SztpDeviceLifecycle1797300002000 implements MigrationInterface {
  name = 'SztpDeviceLifecycle1797300002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE sztp_device
        ADD COLUMN lifecycle text NOT NULL DEFAULT 'manufactured'
          CONSTRAINT sztp_device_lifecycle_check
          CHECK (lifecycle IN ('manufactured', 'owned', 'onboarded', 'disabled', 'decommissioned')),
        ADD COLUMN disabled_from text,
        ADD CONSTRAINT sztp_device_disabled_from_check
          CHECK ((lifecycle = 'disabled') = (disabled_from IS NOT NULL)
                 AND (disabled_from IS NULL OR disabled_from IN ('manufactured', 'owned', 'onboarded')))`);
    await queryRunner.query(`
      CREATE TRIGGER sztp_device_lifecycle_guard BEFORE INSERT OR UPDATE OF lifecycle ON sztp_device
        FOR EACH ROW EXECUTE FUNCTION device_lifecycle_guard()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER sztp_device_lifecycle_guard ON sztp_device`);
    await queryRunner.query(`
      ALTER TABLE sztp_device
        DROP CONSTRAINT sztp_device_disabled_from_check,
        DROP COLUMN disabled_from,
        DROP COLUMN lifecycle`);
  }
}
