import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateInstallation1795223322419 implements MigrationInterface {
  name = 'CreateInstallation1795223322419';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE installation (
        id smallint PRIMARY KEY CHECK (id = 1),
        installation_id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO installation (id) VALUES (1)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE installation`);
  }
}
