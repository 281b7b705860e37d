import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Voucher transfers, webhook endpoints and their delivery outbox, and assignment rules. */
export class CreateLedgerApi1795225335563 implements MigrationInterface {
  name = 'CreateLedgerApi1795225335563';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE transfer (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        voucher_id uuid NOT NULL REFERENCES voucher(id),
        guid text NOT NULL,
        from_tenant_id uuid NOT NULL REFERENCES tenant(id),
        to_tenant_id uuid REFERENCES tenant(id),
        to_owner_key_id uuid REFERENCES owner_key(id),
        status text NOT NULL
          CHECK (status IN ('scheduled', 'pending', 'accepted', 'rejected', 'cancelled', 'completed', 'void')),
        source_num_entries integer NOT NULL,
        previous_cbor bytea NOT NULL,
        extended_cbor bytea,
        next_owner_key_sha256 text,
        extra jsonb,
        rule_id uuid,
        created_by text NOT NULL,
        decided_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        CHECK ((to_tenant_id IS NULL) = (to_owner_key_id IS NULL)),
        CHECK (status = 'scheduled' OR extended_cbor IS NOT NULL)
      )`);
    // One open hand-over per voucher at a time.
    await queryRunner.query(
      `CREATE UNIQUE INDEX transfer_one_open_per_voucher ON transfer (voucher_id) WHERE status IN ('scheduled', 'pending')`,
    );
    await queryRunner.query(
      `CREATE INDEX transfer_incoming ON transfer (to_tenant_id, status, created_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX transfer_outgoing ON transfer (from_tenant_id, status, created_at, id)`,
    );
    await queryRunner.query(`CREATE INDEX transfer_guid ON transfer (guid)`);
    await queryRunner.query(
      `CREATE INDEX transfer_scheduled ON transfer (created_at) WHERE status = 'scheduled'`,
    );

    await queryRunner.query(`
      CREATE TABLE webhook_endpoint (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        url text NOT NULL,
        description text,
        event_types jsonb NOT NULL,
        secret_sealed bytea NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoint_tenant ON webhook_endpoint (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoint(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_delivery_endpoint ON webhook_delivery (endpoint_id, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_delivery_pending ON webhook_delivery (created_at) WHERE status = 'pending'`,
    );

    await queryRunner.query(`
      CREATE TABLE assignment_rule (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant(id),
        name text NOT NULL,
        production_line text,
        device_info_pattern text,
        target_tenant_id uuid NOT NULL REFERENCES tenant(id),
        target_owner_key_id uuid REFERENCES owner_key(id),
        priority integer NOT NULL DEFAULT 100,
        enabled boolean NOT NULL DEFAULT true,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name),
        CHECK (target_tenant_id <> tenant_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['assignment_rule', 'webhook_delivery', 'webhook_endpoint', 'transfer'])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}
