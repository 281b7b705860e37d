import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What a replacing TO0 is compared with: the SHA-256 of the registered voucher's header and of each
 * of its entries (in order). A registration for a GUID may be replaced only by a voucher that
 * extends it (same header, the registered entries first), which the upsert checks in its
 * `ON CONFLICT ... WHERE`, so two concurrent TO0s cannot race past it. Rows registered before have
 * no hashes and keep the earlier rule (as many entries or more) until their owner renews them.
 * A voucher with no entries registers too (its header key is its owner): that is the replacement
 * voucher TO2 leaves, which a same-owner re-onboarding registers and a resale extends.
 */
export class RvRegistrationVoucherExtension1797300000000 implements MigrationInterface {
  name = 'RvRegistrationVoucherExtension1797300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE rv_registration
        DROP CONSTRAINT rv_registration_num_entries_check,
        ADD CONSTRAINT rv_registration_num_entries_check CHECK (num_entries >= 0),
        ADD COLUMN header_sha256 bytea,
        ADD COLUMN entry_sha256 bytea[],
        ADD CONSTRAINT rv_registration_entry_sha256_check
          CHECK (entry_sha256 IS NULL OR cardinality(entry_sha256) = num_entries)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE rv_registration
        DROP CONSTRAINT rv_registration_entry_sha256_check,
        DROP COLUMN entry_sha256,
        DROP COLUMN header_sha256,
        DROP CONSTRAINT rv_registration_num_entries_check`);
    await queryRunner.query(`DELETE FROM rv_registration WHERE num_entries = 0`);
    await queryRunner.query(
      `ALTER TABLE rv_registration ADD CONSTRAINT rv_registration_num_entries_check CHECK (num_entries >= 1)`,
    );
  }
}
