import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Rendezvous: registrations (TO0), the acceptance policy, and the owner side's automatic TO0 state.
 */
export class CreateRendezvous1795226000000 implements MigrationInterface {
  name = 'CreateRendezvous1795226000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rv_registration (
        guid text PRIMARY KEY CHECK (guid ~ '^[0-9a-f]{32}$'),
        voucher bytea NOT NULL,
        to1d bytea NOT NULL,
        num_entries integer NOT NULL CHECK (num_entries >= 1),
        owner_key_sha256 text NOT NULL,
        manufacturer_key_sha256 text NOT NULL,
        device_key_spki bytea NOT NULL,
        to2_addresses jsonb NOT NULL,
        requested_wait_seconds bigint NOT NULL,
        granted_wait_seconds integer NOT NULL CHECK (granted_wait_seconds >= 0),
        registered_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        source_address text NOT NULL
      )`);
    // The sweep deletes by expiry; the admin API lists by owner key.
    await queryRunner.query(`CREATE INDEX rv_registration_expires ON rv_registration (expires_at)`);
    await queryRunner.query(
      `CREATE INDEX rv_registration_owner ON rv_registration (owner_key_sha256, expires_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE rv_policy (
        id integer PRIMARY KEY CHECK (id = 1),
        open_mode boolean NOT NULL,
        min_wait_seconds integer NOT NULL CHECK (min_wait_seconds >= 0),
        max_wait_seconds integer NOT NULL CHECK (max_wait_seconds >= min_wait_seconds),
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE rv_policy_entry (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('manufacturer-key', 'device-ca', 'owner-allow', 'owner-deny')),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        certificate bytea CHECK ((kind = 'device-ca') = (certificate IS NOT NULL)),
        label text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (kind, sha256)
      )`);
    await queryRunner.query(`
      CREATE TABLE to0_state (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        voucher_id uuid NOT NULL REFERENCES voucher(id) ON DELETE CASCADE,
        device_id uuid NOT NULL REFERENCES device(id) ON DELETE CASCADE,
        guid text NOT NULL,
        rv_url text NOT NULL,
        directive_index integer NOT NULL,
        status text NOT NULL
          CHECK (status IN ('pending', 'registered', 'failed', 'unsupported', 'stopped')),
        target_digest text,
        registered_until timestamptz,
        granted_wait_seconds integer,
        attempts integer NOT NULL DEFAULT 0,
        last_attempt_at timestamptz,
        last_success_at timestamptz,
        last_error text,
        last_error_code integer,
        next_attempt_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (voucher_id, rv_url)
      )`);
    await queryRunner.query(`CREATE INDEX to0_state_device ON to0_state (device_id)`);
    await queryRunner.query(`CREATE INDEX to0_state_guid ON to0_state (guid)`);
    await queryRunner.query(
      `CREATE INDEX to0_state_due ON to0_state (next_attempt_at) WHERE next_attempt_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['to0_state', 'rv_policy_entry', 'rv_policy', 'rv_registration'])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}
