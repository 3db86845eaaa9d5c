import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConvoyHistory1764162000000 implements MigrationInterface {
  name = 'ConvoyHistory1764162000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per event of a convoy subject. The event is kept as stored (with its schema
    // version) so that readers upcast it to whatever version they know.
    await q.query(`
      CREATE TABLE convoy_events (
        seq bigint NOT NULL,
        idx integer NOT NULL,
        town_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        type text NOT NULL,
        bead_ids uuid[] NOT NULL,
        occurred_at timestamptz NOT NULL,
        event jsonb NOT NULL,
        PRIMARY KEY (seq, idx)
      )`);
    await q.query(`CREATE INDEX ix_convoy_events_convoy ON convoy_events (convoy_id, seq, idx)`);
    await q.query(`CREATE INDEX ix_convoy_events_beads ON convoy_events USING gin (bead_ids)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE convoy_events`);
  }
}
