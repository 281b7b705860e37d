import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The device state machine (see ARCHITECTURE.md, "Device lifecycle"): states manufactured, owned,
 * onboarded, disabled (remembering the state it left in `disabled_from`) and decommissioned; the
 * allowed moves are the rows of `device_lifecycle_transition`, and a trigger refuses any other
 * UPDATE of `device.lifecycle` (and any INSERT in a state other than manufactured or owned), so no
 * code path and no two racing replicas can put a device into a state the table does not allow.
 * Existing devices: `provisioned` (and the never-written `onboarding`) become `owned` when an owner
 * tenant holds their active voucher, else `manufactured`.
 */
export class DeviceStateMachine1795231000000 implements MigrationInterface {
  name = 'DeviceStateMachine1795231000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE device DROP CONSTRAINT IF EXISTS device_lifecycle_check`);
    await queryRunner.query(`
      UPDATE device d SET lifecycle = CASE
          WHEN EXISTS (SELECT 1 FROM voucher v JOIN tenant t ON t.id = v.holder_tenant_id
                        WHERE v.device_id = d.id AND v.status = 'active' AND t.kind = 'owner') THEN 'owned'
          ELSE 'manufactured' END
       WHERE lifecycle IN ('provisioned', 'onboarding')`);
    await queryRunner.query(`ALTER TABLE device ADD COLUMN disabled_from text`);
    await queryRunner.query(`
      ALTER TABLE device
        ADD CONSTRAINT device_lifecycle_check
          CHECK (lifecycle IN ('manufactured', 'owned', 'onboarded', 'disabled', 'decommissioned')),
        ADD CONSTRAINT device_disabled_from_check
          CHECK ((lifecycle = 'disabled') = (disabled_from IS NOT NULL)
                 AND (disabled_from IS NULL OR disabled_from IN ('manufactured', 'owned', 'onboarded')))`);
    await queryRunner.query(`
      CREATE TABLE device_lifecycle_transition (
        from_state text NOT NULL,
        to_state text NOT NULL,
        PRIMARY KEY (from_state, to_state)
      )`);
    await queryRunner.query(`
      INSERT INTO device_lifecycle_transition (from_state, to_state) VALUES
        ('manufactured', 'owned'),
        ('owned', 'onboarded'),
        ('manufactured', 'disabled'), ('owned', 'disabled'), ('onboarded', 'disabled'),
        ('disabled', 'manufactured'), ('disabled', 'owned'), ('disabled', 'onboarded'),
        ('manufactured', 'decommissioned'), ('owned', 'decommissioned'), ('onboarded', 'decommissioned'),
        ('disabled', 'decommissioned')`);
    await queryRunner.query(`
      CREATE FUNCTION device_lifecycle_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.lifecycle NOT IN ('manufactured', 'owned') THEN
            RAISE EXCEPTION 'a device starts manufactured or owned, not %', NEW.lifecycle
              USING ERRCODE = 'check_violation', CONSTRAINT = 'device_lifecycle_transition';
          END IF;
        ELSIF NEW.lifecycle IS DISTINCT FROM OLD.lifecycle AND NOT EXISTS (
            SELECT 1 FROM device_lifecycle_transition WHERE from_state = OLD.lifecycle AND to_state = NEW.lifecycle) THEN
          RAISE EXCEPTION 'device lifecycle % -> % is not allowed', OLD.lifecycle, NEW.lifecycle
            USING ERRCODE = 'check_violation', CONSTRAINT = 'device_lifecycle_transition';
        ELSIF OLD.lifecycle = 'disabled' AND NEW.lifecycle <> 'decommissioned'
            AND NEW.lifecycle IS DISTINCT FROM OLD.disabled_from THEN
          RAISE EXCEPTION 'a disabled device goes back to %, not %', OLD.disabled_from, NEW.lifecycle
            USING ERRCODE = 'check_violation', CONSTRAINT = 'device_lifecycle_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER device_lifecycle_guard BEFORE INSERT OR UPDATE OF lifecycle ON device
        FOR EACH ROW EXECUTE FUNCTION device_lifecycle_guard()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER device_lifecycle_guard ON device`);
    await queryRunner.query(`DROP FUNCTION device_lifecycle_guard()`);
    await queryRunner.query(`DROP TABLE device_lifecycle_transition`);
    await queryRunner.query(`ALTER TABLE device DROP CONSTRAINT device_disabled_from_check`);
    await queryRunner.query(`ALTER TABLE device DROP CONSTRAINT device_lifecycle_check`);
    await queryRunner.query(`ALTER TABLE device DROP COLUMN disabled_from`);
    await queryRunner.query(`
      UPDATE device SET lifecycle = CASE WHEN lifecycle = 'onboarded' THEN 'onboarded' ELSE 'provisioned' END`);
    await queryRunner.query(`
      ALTER TABLE device ADD CONSTRAINT device_lifecycle_check
        CHECK (lifecycle IN ('provisioned', 'onboarding', 'onboarded'))`);
  }
}
