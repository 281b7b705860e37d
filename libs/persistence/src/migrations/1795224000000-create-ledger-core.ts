import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Tenants, devices, vouchers, the per-tenant hash-chained audit log, and sealed custody keys. */
export class CreateLedgerCore1795224000000 implements MigrationInterface {
  name = 'CreateLedgerCore1795224000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('manufacturer', 'reseller', 'owner')),
        name text NOT NULL,
        slug text NOT NULL UNIQUE,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        audit_head_seq bigint NOT NULL DEFAULT 0,
        audit_head_hash bytea,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE device (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        manufacturer_tenant_id uuid REFERENCES tenant(id),
        serial_number text,
        device_info text NOT NULL,
        guid text NOT NULL UNIQUE CHECK (guid ~ '^[0-9a-f]{32}$'),
        original_guid text NOT NULL,
        lifecycle text NOT NULL CHECK (lifecycle IN ('provisioned', 'onboarding', 'onboarded')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A serial goes through DI once per manufacturer.
    await queryRunner.query(`
      CREATE UNIQUE INDEX device_manufacturer_serial ON device (manufacturer_tenant_id, serial_number)
        WHERE manufacturer_tenant_id IS NOT NULL AND serial_number IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE voucher (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_id uuid NOT NULL REFERENCES device(id),
        guid text NOT NULL CHECK (guid ~ '^[0-9a-f]{32}$'),
        cbor bytea NOT NULL,
        num_entries integer NOT NULL CHECK (num_entries >= 0),
        owner_key_sha256 text NOT NULL,
        holder_tenant_id uuid REFERENCES tenant(id),
        status text NOT NULL CHECK (status IN ('active', 'transferred-out', 'retired', 'deleted')),
        replaces_voucher_id uuid REFERENCES voucher(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    // One live holder at a time: at most one active voucher per GUID.
    await queryRunner.query(
      `CREATE UNIQUE INDEX voucher_one_active_per_guid ON voucher (guid) WHERE status = 'active'`,
    );
    await queryRunner.query(
      `CREATE INDEX voucher_holder ON voucher (holder_tenant_id, status, created_at, id)`,
    );
    await queryRunner.query(`CREATE INDEX voucher_device ON voucher (device_id)`);
    await queryRunner.query(`
      CREATE TABLE audit_event (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        seq bigint NOT NULL,
        event_type text NOT NULL,
        subject text,
        actor text,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        prev_hash bytea,
        hash bytea NOT NULL,
        UNIQUE (tenant_id, seq)
      )`);
    await queryRunner.query(`CREATE INDEX audit_event_subject ON audit_event (tenant_id, subject)`);
    await queryRunner.query(`
      CREATE TABLE sealed_key (
        key_id text PRIMARY KEY,
        spec text NOT NULL,
        purpose text NOT NULL,
        created_at timestamptz NOT NULL,
        public_key_spki bytea NOT NULL,
        sealed bytea NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['sealed_key', 'audit_event', 'voucher', 'device', 'tenant'])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}
