import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Certificate renewal (EST, RFC 7030): each issued certificate names the one it replaced, so a
 * device's certificates form a chain of predecessors; the worker records when it announced a
 * certificate's coming expiry; one-time enrolment tokens for EST simpleenroll.
 */
export class AddCertificateRenewal1797500000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE issued_certificate
        ADD COLUMN replaces_certificate_id uuid REFERENCES issued_certificate(id),
        ADD COLUMN expiring_notified_at timestamptz`);
    // EST re-enrolment finds the presented certificate by its fingerprint.
    await queryRunner.query(
      `CREATE UNIQUE INDEX issued_certificate_fingerprint ON issued_certificate (fingerprint)`,
    );
    // The expiry scan reads only current certificates not yet announced.
    await queryRunner.query(
      `CREATE INDEX issued_certificate_expiring ON issued_certificate (not_after)
        WHERE revoked_at IS NULL AND expiring_notified_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE est_enrollment_token (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        device_id uuid NOT NULL REFERENCES device(id),
        token_sha256 text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        certificate_id uuid REFERENCES issued_certificate(id),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX est_enrollment_token_sha256 ON est_enrollment_token (token_sha256)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE est_enrollment_token`);
    await queryRunner.query(`DROP INDEX issued_certificate_expiring`);
    await queryRunner.query(`DROP INDEX issued_certificate_fingerprint`);
    await queryRunner.query(`
      ALTER TABLE issued_certificate
        DROP COLUMN expiring_notified_at,
        DROP COLUMN replaces_certificate_id`);
  }
}
