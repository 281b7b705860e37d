import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Manufacturer PKI, manufacturing stations, and DI sessions (FDO Device Initialize). */
export class CreateManufacturing1795225068985 implements MigrationInterface {
  name = 'CreateManufacturing1795225068985';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE manufacturer_pki (
        tenant_id uuid PRIMARY KEY REFERENCES tenant(id),
        root_ca_key_id text NOT NULL UNIQUE,
        root_ca_certificate bytea NOT NULL,
        intermediate_ca_key_id text NOT NULL UNIQUE,
        intermediate_ca_certificate bytea NOT NULL,
        voucher_key_id uuid NOT NULL UNIQUE REFERENCES owner_key(id),
        manufacturer_key_encoding text NOT NULL
          CHECK (manufacturer_key_encoding IN ('x509', 'cose-key', 'as-requested')),
        device_cert_validity_days integer NOT NULL CHECK (device_cert_validity_days > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE manufacturing_station (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        production_line text,
        api_key_prefix text UNIQUE,
        api_key_sha256 text,
        client_cert_sha256 text CHECK (client_cert_sha256 ~ '^[0-9a-f]{64}$'),
        allowed_cidrs cidr[] NOT NULL DEFAULT '{}',
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name),
        CHECK ((api_key_prefix IS NULL) = (api_key_sha256 IS NULL)),
        CHECK (api_key_prefix IS NOT NULL OR client_cert_sha256 IS NOT NULL OR cardinality(allowed_cidrs) > 0)
      )`);
    // A certificate identifies one live station, whatever its tenant.
    await queryRunner.query(`
      CREATE UNIQUE INDEX manufacturing_station_client_cert ON manufacturing_station (client_cert_sha256)
        WHERE client_cert_sha256 IS NOT NULL AND revoked_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE di_session (
        token_sha256 text PRIMARY KEY,
        manufacturer_tenant_id uuid NOT NULL REFERENCES tenant(id),
        station_id uuid NOT NULL REFERENCES manufacturing_station(id),
        production_line text,
        serial_number text NOT NULL,
        device_info text NOT NULL,
        guid text NOT NULL UNIQUE CHECK (guid ~ '^[0-9a-f]{32}$'),
        ov_header bytea NOT NULL,
        device_cert_chain bytea NOT NULL,
        voucher_key_id uuid NOT NULL REFERENCES owner_key(id),
        expires_at timestamptz NOT NULL,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One DI in flight per serial and manufacturer; a new DI.AppStart replaces an unfinished one.
    await queryRunner.query(`
      CREATE UNIQUE INDEX di_session_pending_serial ON di_session (manufacturer_tenant_id, serial_number)
        WHERE completed_at IS NULL`);
    await queryRunner.query(`CREATE INDEX di_session_expires ON di_session (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['di_session', 'manufacturing_station', 'manufacturer_pki'])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}
