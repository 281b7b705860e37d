import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Tenants' voucher signing keys (private halves in key custody). */
export class CreateOwnerKey1795224100000 implements MigrationInterface {
  name = 'CreateOwnerKey1795224100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE owner_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        spec text NOT NULL CHECK (spec IN ('P-256', 'P-384', 'RSA-2048', 'RSA-3072')),
        custody_key_id text NOT NULL UNIQUE,
        public_key_spki bytea NOT NULL,
        public_key_sha256 text NOT NULL UNIQUE,
        retired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE owner_key`);
  }
}
