import { MigrationInterface, QueryRunner } from 'typeorm';

export class MergeQueue1765400000000 implements MigrationInterface {
  name = 'MergeQueue1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merge_queue (
        bead_id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        rig_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        bead_idx integer NOT NULL,
        attempt integer NOT NULL,
        submitted_at timestamptz NOT NULL,
        status text NOT NULL,
        batch_id uuid,
        speculative_on uuid,
        batch_check_runs integer,
        started_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_merge_queue_rig ON merge_queue (town_id, rig_id, submitted_at)`);
    await q.query(`CREATE INDEX ix_merge_queue_batch ON merge_queue (batch_id) WHERE batch_id IS NOT NULL`);
    await q.query(`CREATE INDEX ix_merge_queue_convoy ON merge_queue (convoy_id)`);
    // The beads in review wait as a replay would leave them: submitted when their attempt was handed in. Batches show after `npm run rebuild-read-models`.
    await q.query(`
      INSERT INTO merge_queue (bead_id, town_id, rig_id, convoy_id, bead_idx, attempt, submitted_at, status)
      SELECT b.id, b.town_id, b.rig_id, b.convoy_id, b.idx, b.attempts, a.ended_at, 'WAITING'
        FROM beads b JOIN bead_attempts a ON a.bead_id = b.id AND a.number = b.attempts
       WHERE b.status = 'IN_REVIEW' AND a.ended_at IS NOT NULL`);
    // Rigs registered before the merge queue had settings take their defaults, as RigRegistered v1 is upcast.
    await q.query(
      `UPDATE rigs SET config = '{"mergeBatchMax":8,"speculativeDepth":2,"checkConcurrency":2,"retryFlakyChecks":false}'::jsonb || config
        WHERE NOT config ? 'mergeBatchMax'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE merge_queue`);
  }
}
