import { MigrationInterface, QueryRunner } from 'typeorm';

export class PushClaims1765300000000 implements MigrationInterface {
  name = 'PushClaims1765300000000';

  async up(q: QueryRunner): Promise<void> {
    // Claims granted before this column existed show after `npm run rebuild-read-models`; a claim lives only as long as its push.
    await q.query(`ALTER TABLE beads ADD COLUMN merge_claimed_attempt integer`);
    // A closed convoy's merges under way are read through this, never by scanning its beads.
    await q.query(`CREATE INDEX ix_beads_merge_claimed ON beads (convoy_id) WHERE merge_claimed_attempt IS NOT NULL AND status = 'IN_REVIEW'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_beads_merge_claimed`);
    await q.query(`ALTER TABLE beads DROP COLUMN merge_claimed_attempt`);
  }
}
