import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Revocation of issued operational certificates (RFC 5280 reasons) and each owner CA's published
 * CRL: its number, validity and bytes, and whether a revocation since made it stale.
 */
export class AddCertificateRevocation1795230000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE issued_certificate
        ADD COLUMN revoked_at timestamptz,
        ADD COLUMN revocation_reason text CHECK (revocation_reason IN ('unspecified', 'keyCompromise',
          'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold',
          'privilegeWithdrawn', 'aACompromise')),
        ADD CONSTRAINT issued_certificate_revocation_complete
          CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX issued_certificate_serial ON issued_certificate (owner_tenant_id, serial_number)`,
    );
    await queryRunner.query(
      `CREATE INDEX issued_certificate_revoked ON issued_certificate (owner_tenant_id) WHERE revoked_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE owner_ca_crl (
        owner_tenant_id uuid PRIMARY KEY REFERENCES owner_ca(owner_tenant_id),
        crl_number bigint NOT NULL DEFAULT 0,
        this_update timestamptz,
        next_update timestamptz,
        crl bytea,
        stale boolean NOT NULL DEFAULT true
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE owner_ca_crl`);
    await queryRunner.query(`DROP INDEX issued_certificate_revoked`);
    await queryRunner.query(`DROP INDEX issued_certificate_serial`);
    await queryRunner.query(`
      ALTER TABLE issued_certificate
        DROP CONSTRAINT issued_certificate_revocation_complete,
        DROP COLUMN revocation_reason,
        DROP COLUMN revoked_at`);
  }
}
