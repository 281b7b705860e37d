import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `device_event`: what happened to a device that no other table keeps, above all its failures (the
 * FDO or RESTCONF error answered and why), keyed by the stable device id (FDO) or the SZTP device
 * id, so a device's history survives the GUID change of TO2. A device repeating the same failure
 * within a short window bumps `repeats` and `last_occurred_at` of the last row instead of adding
 * one, so a looping device cannot flood the table (or the webhooks raised per new row).
 */
export class CreateDeviceEvent1797600000000 implements MigrationInterface {
  name = 'CreateDeviceEvent1797600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE device_event (
        id bigserial PRIMARY KEY,
        device_id uuid REFERENCES device (id) ON DELETE CASCADE,
        sztp_device_id uuid REFERENCES sztp_device (id) ON DELETE CASCADE,
        tenant_id uuid REFERENCES tenant (id) ON DELETE CASCADE,
        guid text,
        protocol text NOT NULL CHECK (protocol IN ('fdo', 'sztp')),
        event_type text NOT NULL,
        message_type integer,
        result text NOT NULL CHECK (result IN ('succeeded', 'failed')),
        error_code integer,
        reason text,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        repeats integer NOT NULL DEFAULT 1,
        occurred_at timestamptz NOT NULL,
        last_occurred_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX device_event_device ON device_event (device_id, id)`);
    await queryRunner.query(`CREATE INDEX device_event_sztp_device ON device_event (sztp_device_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE device_event`);
  }
}
