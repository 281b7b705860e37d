import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The AES-CBC/CTR key-size convention (spec or go-fdo) the owner uses for a device's next TO2
 * SetupDevice (65): learned per device, since nothing a device sends before 65 tells them apart
 * (ARCHITECTURE.md, interop decisions). Null: not learned yet, the owner's setting applies.
 */
export class DeviceEtmKeySizes1797000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE device ADD COLUMN etm_key_sizes text CONSTRAINT device_etm_key_sizes_check
         CHECK (etm_key_sizes IN ('spec', 'go-fdo'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE device DROP COLUMN etm_key_sizes`);
  }
}
