import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Bring your own issuing CA: a pending request (key generated in custody, CSR exported) per owner
 * until the certificate the owner's corporate root signed is imported; the imported CA keeps the
 * chain above it (PEM) for EST cacerts.
 */
export class AddOwnerCaImport1797500000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE owner_ca ADD COLUMN chain_pem text`);
    await queryRunner.query(`
      CREATE TABLE owner_ca_request (
        owner_tenant_id uuid PRIMARY KEY REFERENCES tenant(id),
        custody_key_id text NOT NULL,
        spec text NOT NULL,
        csr bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE owner_ca_request`);
    await queryRunner.query(`ALTER TABLE owner_ca DROP COLUMN chain_pem`);
  }
}
