import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProjectionSkips1765000000000 implements MigrationInterface {
  name = 'ProjectionSkips1765000000000';

  async up(q: QueryRunner): Promise<void> {
    // The operator's decisions, not a projection of the stream: a rebuild keeps them and honours them.
    await q.query(`
      CREATE TABLE projection_skips (
        subject text NOT NULL,
        seq bigint NOT NULL,
        reason text NOT NULL,
        held_reason text NOT NULL,
        skipped_at timestamptz NOT NULL,
        PRIMARY KEY (subject, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE projection_skips`);
  }
}
