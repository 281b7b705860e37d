import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The device key of a registration also as a JWK: TO1 imports it once per exchange, and Node
 * imports a JWK in half the time of a DER SubjectPublicKeyInfo. Rows registered before have none
 * and are read from the SPKI.
 */
export class AddRvRegistrationDeviceKeyJwk1795226100000 implements MigrationInterface {
  name = 'AddRvRegistrationDeviceKeyJwk1795226100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rv_registration ADD COLUMN device_key_jwk jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rv_registration DROP COLUMN device_key_jwk`);
  }
}
