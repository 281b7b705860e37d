import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** API keys (hashed, scoped, expiring, revocable) and the records behind Idempotency-Key retries. */
export class CreateApiKeyAndIdempotency1795225082506 implements MigrationInterface {
  name = 'CreateApiKeyAndIdempotency1795225082506';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid REFERENCES tenant(id),
        name text NOT NULL,
        prefix text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{12}$'),
        key_sha256 bytea NOT NULL CHECK (length(key_sha256) = 32),
        roles jsonb NOT NULL DEFAULT '[]'::jsonb,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX api_key_tenant ON api_key (tenant_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE idempotency_record (
        scope text NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('in-progress', 'completed')),
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, idempotency_key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_record_expiry ON idempotency_record (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_record`);
    await queryRunner.query(`DROP TABLE api_key`);
  }
}
