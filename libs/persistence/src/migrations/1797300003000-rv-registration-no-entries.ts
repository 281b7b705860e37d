import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A voucher with no entries registers at TO0 (its header key is its owner): that is the
 * replacement voucher TO2 leaves, which a same-owner re-onboarding registers and a resale extends.
 */
export class RvRegistrationNoEntries1797300003000 implements MigrationInterface {
  name = 'RvRegistrationNoEntries1797300003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE rv_registration
        DROP CONSTRAINT rv_registration_num_entries_check,
        ADD CONSTRAINT rv_registration_num_entries_check CHECK (num_entries >= 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM rv_registration WHERE num_entries = 0`);
    await queryRunner.query(`
      ALTER TABLE rv_registration
        DROP CONSTRAINT rv_registration_num_entries_check,
        ADD CONSTRAINT rv_registration_num_entries_check CHECK (num_entries >= 1)`);
  }
}
