import { MigrationInterface, QueryRunner } from 'typeorm';

export class AttemptsAndAgents1764158400000 implements MigrationInterface {
  name = 'AttemptsAndAgents1764158400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bead_attempts (
        bead_id uuid NOT NULL,
        number integer NOT NULL,
        town_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        agent_id text NOT NULL,
        agent_name text NOT NULL,
        branch text NOT NULL,
        dispatched_at timestamptz NOT NULL,
        started_at timestamptz,
        ended_at timestamptz,
        outcome text NOT NULL,
        exit_code integer,
        reason text,
        head_commit text,
        output_tail text,
        PRIMARY KEY (bead_id, number)
      )`);
    await q.query(`CREATE INDEX ix_bead_attempts_convoy ON bead_attempts (convoy_id)`);
    await q.query(`
      CREATE TABLE agents (
        town_id uuid NOT NULL,
        agent_id text NOT NULL,
        rig_id uuid NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        current_bead_id uuid,
        current_attempt integer,
        last_seen_at timestamptz NOT NULL,
        attempts_total integer NOT NULL,
        PRIMARY KEY (town_id, agent_id)
      )`);
    await q.query(`CREATE INDEX ix_agents_town_rig ON agents (town_id, rig_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agents`);
    await q.query(`DROP TABLE bead_attempts`);
  }
}
