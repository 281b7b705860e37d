import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * owner_key.kind: `tenant` for the keys a tenant creates (GET /v1/owner-keys lists these), `device`
 * for the per-device Owner2Keys TO2 generates for each replacement voucher (found by a voucher's
 * owner key hash, never listed as the tenant's keys). Existing Owner2Keys are recognised by their
 * custody key id, `owner2:<guid>`.
 */
export class OwnerKeyKind1797400000000 implements MigrationInterface {
  name = 'OwnerKeyKind1797400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE owner_key ADD COLUMN kind text NOT NULL DEFAULT 'tenant'`);
    await queryRunner.query(
      `ALTER TABLE owner_key ADD CONSTRAINT owner_key_kind_check CHECK (kind = ANY (ARRAY['tenant'::text, 'device'::text]))`,
    );
    await queryRunner.query(`UPDATE owner_key SET kind = 'device' WHERE custody_key_id LIKE 'owner2:%'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE owner_key DROP COLUMN kind`);
  }
}
