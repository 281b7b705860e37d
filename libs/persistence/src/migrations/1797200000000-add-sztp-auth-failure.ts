import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Failed SZTP activation-code attempts, counted per serial number and per source address in a
 * window, with the lockout they led to (shared by every replica of both SZTP servers).
 */
export class AddSztpAuthFailure1797200000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sztp_auth_failure (
        scope text NOT NULL CHECK (scope IN ('serial', 'source')),
        subject text NOT NULL,
        window_started_at timestamptz NOT NULL,
        failures integer NOT NULL,
        locked_until timestamptz,
        PRIMARY KEY (scope, subject)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sztp_auth_failure`);
  }
}
