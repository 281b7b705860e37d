import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * SZTP (RFC 8572): device types (IDevID trust anchors, serial extraction, output profile), devices,
 * MASAs, owner identities, onboarding profiles, the RFC 8366 voucher ledger, the bootstrapping
 * (progress) log and issued LDevIDs.
 */
export class CreateSztp1795229500000 implements MigrationInterface {
  name = 'CreateSztp1795229500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sztp_device_type (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        trust_anchors jsonb NOT NULL CHECK (jsonb_typeof(trust_anchors) = 'array'),
        serial_number_source text NOT NULL
          CHECK (serial_number_source IN ('subject-serial-number', 'common-name', 'subject-alt-name')),
        serial_number_pattern text,
        output_profile text NOT NULL CHECK (output_profile IN ('signed', 'lab')),
        activation_code_fallback boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
    await queryRunner.query(`
      CREATE TABLE sztp_onboarding_profile (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        is_default boolean NOT NULL,
        boot_image jsonb,
        pre_configuration_script bytea,
        configuration bytea,
        configuration_handling text CHECK (configuration_handling IN ('merge', 'replace')),
        post_configuration_script bytea,
        issue_ldevid boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name),
        CHECK (configuration IS NULL OR configuration_handling IS NOT NULL)
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX sztp_onboarding_profile_default ON sztp_onboarding_profile (tenant_id)
        WHERE is_default`);
    await queryRunner.query(`
      CREATE TABLE sztp_device (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_type_id uuid NOT NULL REFERENCES sztp_device_type(id),
        serial_number text NOT NULL,
        activation_code_hash text,
        onboarding_profile_id uuid REFERENCES sztp_onboarding_profile(id) ON DELETE SET NULL,
        bootstrap_state text NOT NULL
          CHECK (bootstrap_state IN ('pending', 'in-progress', 'rebooting', 'failed', 'complete')),
        last_progress_type text,
        last_progress_at timestamptz,
        ssh_host_keys jsonb,
        trust_anchor_certs jsonb,
        onboarded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (device_type_id, serial_number)
      )`);
    // HTTP Basic identifies a device by serial alone.
    await queryRunner.query(`CREATE INDEX sztp_device_serial ON sztp_device (serial_number)`);
    await queryRunner.query(`
      CREATE TABLE sztp_masa (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        certificate bytea NOT NULL,
        chain jsonb NOT NULL DEFAULT '[]'::jsonb,
        trust_anchors jsonb NOT NULL DEFAULT '[]'::jsonb,
        custody_key_id text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
    await queryRunner.query(`
      CREATE TABLE sztp_owner (
        tenant_id uuid PRIMARY KEY REFERENCES tenant(id),
        ca_key_id text NOT NULL,
        ca_certificate bytea NOT NULL,
        signing_key_id text NOT NULL,
        signing_certificate bytea NOT NULL,
        bootstrap_servers jsonb NOT NULL DEFAULT '[]'::jsonb,
        ldevid_validity_days integer NOT NULL CHECK (ldevid_validity_days > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE sztp_voucher (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_id uuid NOT NULL REFERENCES sztp_device(id),
        serial_number text NOT NULL,
        masa_id uuid NOT NULL REFERENCES sztp_masa(id),
        holder_tenant_id uuid NOT NULL REFERENCES tenant(id),
        cms bytea NOT NULL,
        content_type text NOT NULL,
        pinned_domain_cert_sha256 text NOT NULL,
        pins_holder boolean NOT NULL,
        assertion text,
        expires_on timestamptz,
        source text NOT NULL CHECK (source IN ('imported', 'issued', 'reissued')),
        status text NOT NULL CHECK (status IN ('active', 'superseded')),
        replaces_voucher_id uuid REFERENCES sztp_voucher(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX sztp_voucher_active ON sztp_voucher (device_id) WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX sztp_voucher_holder ON sztp_voucher (holder_tenant_id, status)`);
    await queryRunner.query(`
      CREATE TABLE sztp_progress_event (
        id bigserial PRIMARY KEY,
        device_id uuid NOT NULL REFERENCES sztp_device(id),
        holder_tenant_id uuid REFERENCES tenant(id),
        server text NOT NULL CHECK (server IN ('redirect', 'onboarding')),
        progress_type text NOT NULL,
        message text,
        ssh_host_keys jsonb,
        trust_anchor_certs jsonb,
        remote_address text,
        received_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX sztp_progress_event_device ON sztp_progress_event (device_id, id)`);
    await queryRunner.query(`
      CREATE TABLE sztp_ldevid (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_id uuid NOT NULL REFERENCES sztp_device(id),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        certificate bytea NOT NULL,
        serial_hex text NOT NULL,
        not_after timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX sztp_ldevid_device ON sztp_ldevid (device_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'sztp_ldevid',
      'sztp_progress_event',
      'sztp_voucher',
      'sztp_owner',
      'sztp_masa',
      'sztp_device',
      'sztp_onboarding_profile',
      'sztp_device_type',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
