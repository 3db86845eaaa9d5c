import { MigrationInterface, QueryRunner } from 'typeorm';

export class RigCredentials1765100000000 implements MigrationInterface {
  name = 'RigCredentials1765100000000';

  async up(q: QueryRunner): Promise<void> {
    // What the API shows of a rig's credentials; the sealed secret stays in the event, for the runner alone.
    await q.query(`ALTER TABLE rigs ADD COLUMN credentials_kind text`);
    await q.query(`ALTER TABLE rigs ADD COLUMN credentials_set_at timestamptz`);
    await q.query(`ALTER TABLE rigs ADD COLUMN credentials_username text`);
    await q.query(`ALTER TABLE rigs ADD COLUMN credentials_fingerprint text`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ['credentials_kind', 'credentials_set_at', 'credentials_username', 'credentials_fingerprint']) {
      await q.query(`ALTER TABLE rigs DROP COLUMN ${column}`);
    }
  }
}
