import { MigrationInterface, QueryRunner } from 'typeorm';

export class RigConfig1764072000000 implements MigrationInterface {
  name = 'RigConfig1764072000000';

  async up(q: QueryRunner): Promise<void> {
    // The temporary default only fills rows projected before rigs carried a configuration.
    await q.query(`ALTER TABLE rigs ADD COLUMN config jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE rigs ALTER COLUMN config DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rigs DROP COLUMN config`);
  }
}
