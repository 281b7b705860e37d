import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Owner onboarding: durable TO2 sessions, configuration plans, files, device groups, rendered
 * bundles with their delivery status, devmod and uploads per device, owner CAs, trusted device CAs
 * and issued operational certificates.
 */
export class CreateOnboarding1795228413487 implements MigrationInterface {
  name = 'CreateOnboarding1795228413487';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Hot path: one primary-key read and one versioned update per TO2 message. No foreign keys on
    // purpose (short-lived rows, swept after expiry).
    await queryRunner.query(`
      CREATE TABLE to2_session (
        token_hash bytea PRIMARY KEY,
        owner_tenant_id uuid NOT NULL,
        device_id uuid NOT NULL,
        voucher_id uuid NOT NULL,
        stage text NOT NULL CHECK (stage IN ('proving', 'setup', 'service-info', 'done', 'failed')),
        version integer NOT NULL,
        state bytea NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX to2_session_expires ON to2_session (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE config_file (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        size integer NOT NULL CHECK (size >= 0),
        sha384 bytea NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX config_file_owner ON config_file (owner_tenant_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE device_group (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        members text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner_tenant_id, name)
      )`);
    await queryRunner.query(`
      CREATE TABLE config_plan (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        selector_kind text NOT NULL CHECK (selector_kind IN ('device', 'device-info', 'group')),
        device_guid text CHECK (device_guid ~ '^[0-9a-f]{32}$'),
        device_serial text,
        device_info_pattern text,
        group_id uuid REFERENCES device_group(id) ON DELETE CASCADE,
        priority integer NOT NULL DEFAULT 100,
        content jsonb NOT NULL,
        revision integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner_tenant_id, name),
        CHECK (
          (selector_kind = 'device' AND (device_guid IS NOT NULL OR device_serial IS NOT NULL)) OR
          (selector_kind = 'device-info' AND device_info_pattern IS NOT NULL) OR
          (selector_kind = 'group' AND group_id IS NOT NULL)
        )
      )`);
    await queryRunner.query(`CREATE INDEX config_plan_owner ON config_plan (owner_tenant_id, selector_kind)`);
    await queryRunner.query(`
      CREATE TABLE config_bundle (
        device_id uuid PRIMARY KEY REFERENCES device(id),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        plan_id uuid,
        plan_revision integer,
        revision integer NOT NULL DEFAULT 1,
        stale boolean NOT NULL DEFAULT false,
        steps bytea NOT NULL,
        summary jsonb NOT NULL,
        delivery_status text NOT NULL
          CHECK (delivery_status IN ('queued', 'delivering', 'delivered', 'failed')),
        status_detail text,
        results jsonb,
        rendered_at timestamptz NOT NULL,
        delivery_started_at timestamptz,
        delivered_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX config_bundle_owner ON config_bundle (owner_tenant_id, delivery_status)`,
    );
    await queryRunner.query(`
      CREATE TABLE device_devmod (
        device_id uuid PRIMARY KEY REFERENCES device(id),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        guid text NOT NULL,
        devmod jsonb NOT NULL,
        received_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE device_upload (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        device_id uuid NOT NULL REFERENCES device(id),
        guid text NOT NULL,
        name text NOT NULL,
        size integer NOT NULL,
        sha384 bytea NOT NULL,
        content bytea NOT NULL,
        received_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX device_upload_device ON device_upload (device_id, received_at)`);
    await queryRunner.query(`
      CREATE TABLE owner_ca (
        owner_tenant_id uuid PRIMARY KEY REFERENCES tenant(id),
        custody_key_id text NOT NULL UNIQUE,
        spec text NOT NULL CHECK (spec IN ('P-256', 'P-384', 'RSA-2048', 'RSA-3072')),
        subject text NOT NULL,
        certificate bytea NOT NULL,
        allow_server_keygen boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE owner_device_ca (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        certificate bytea NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner_tenant_id, fingerprint)
      )`);
    await queryRunner.query(`
      CREATE TABLE issued_certificate (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_tenant_id uuid NOT NULL REFERENCES tenant(id),
        device_id uuid NOT NULL REFERENCES device(id),
        guid text NOT NULL,
        serial_number text NOT NULL,
        subject text NOT NULL,
        fingerprint text NOT NULL,
        certificate bytea NOT NULL,
        not_after timestamptz NOT NULL,
        kind text NOT NULL CHECK (kind IN ('simpleenroll', 'simplereenroll', 'serverkeygen')),
        issued_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX issued_certificate_device ON issued_certificate (device_id, issued_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'issued_certificate',
      'owner_device_ca',
      'owner_ca',
      'device_upload',
      'device_devmod',
      'config_bundle',
      'config_plan',
      'device_group',
      'config_file',
      'to2_session',
    ])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}
