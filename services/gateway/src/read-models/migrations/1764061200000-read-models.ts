import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReadModels1764061200000 implements MigrationInterface {
  name = 'ReadModels1764061200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE towns (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        token_hash text NOT NULL CONSTRAINT uq_towns_token_hash UNIQUE,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE rigs (
        id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        name text NOT NULL,
        git_url text NOT NULL,
        default_branch text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX ix_rigs_town_name ON rigs (town_id, name)`);
    await q.query(`
      CREATE TABLE convoys (
        id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        title text NOT NULL,
        slug text NOT NULL,
        status text NOT NULL,
        merge_mode text NOT NULL,
        staged boolean NOT NULL,
        parallel boolean NOT NULL,
        default_rig_id uuid NOT NULL,
        rig_ids uuid[] NOT NULL,
        feature_branches jsonb NOT NULL,
        landings jsonb NOT NULL DEFAULT '[]',
        landed_commit text,
        landed_at timestamptz,
        landing_attempt integer NOT NULL DEFAULT 0,
        failure_reason text,
        cancel_reason text,
        bead_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_convoys_town_created ON convoys (town_id, created_at)`);
    await q.query(`
      CREATE TABLE beads (
        id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        rig_id uuid NOT NULL,
        idx integer NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        status text NOT NULL,
        ready boolean NOT NULL DEFAULT false,
        blocked boolean NOT NULL DEFAULT false,
        blocked_reason text,
        held_by uuid[] NOT NULL DEFAULT '{}',
        assignee_id text,
        assignee text,
        branch text,
        base_branch text,
        head_commit text,
        merge_commit text,
        attempts integer NOT NULL DEFAULT 0,
        last_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        closed_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX ix_beads_convoy_idx ON beads (convoy_id, idx)`);
    await q.query(`CREATE INDEX ix_beads_town_rig ON beads (town_id, rig_id)`);
    await q.query(`CREATE INDEX ix_beads_ready ON beads (town_id, rig_id) WHERE ready`);
    await q.query(`
      CREATE TABLE bead_dependencies (
        bead_id uuid NOT NULL,
        depends_on_bead_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        town_id uuid NOT NULL,
        PRIMARY KEY (bead_id, depends_on_bead_id)
      )`);
    await q.query(`CREATE INDEX ix_bead_dependencies_convoy ON bead_dependencies (convoy_id)`);
    await q.query(`CREATE INDEX ix_bead_dependencies_depends_on ON bead_dependencies (depends_on_bead_id)`);
    await q.query(`
      CREATE TABLE projection_checkpoints (
        subject text PRIMARY KEY,
        last_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE projection_holds (
        subject text PRIMARY KEY,
        seq bigint NOT NULL,
        reason text NOT NULL,
        held_at timestamptz NOT NULL
      )`);
    // The ready-bead read model: what a dispatcher may take, per town and rig.
    await q.query(`CREATE VIEW ready_beads AS SELECT id, town_id, convoy_id, rig_id, idx, title FROM beads WHERE ready`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW ready_beads`);
    for (const table of ['projection_holds', 'projection_checkpoints', 'bead_dependencies', 'beads', 'convoys', 'rigs', 'towns']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
