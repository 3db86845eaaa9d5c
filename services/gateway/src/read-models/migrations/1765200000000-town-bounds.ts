import { MigrationInterface, QueryRunner } from 'typeorm';

export class TownBounds1765200000000 implements MigrationInterface {
  name = 'TownBounds1765200000000';

  async up(q: QueryRunner): Promise<void> {
    // The largest lists of each town, kept by the projector with the rows, so a query is priced from them with one lookup.
    await q.query(`
      CREATE TABLE town_bounds (
        town_id uuid PRIMARY KEY,
        beads_per_convoy integer NOT NULL DEFAULT 0,
        edges_per_convoy integer NOT NULL DEFAULT 0,
        blockers_per_bead integer NOT NULL DEFAULT 0,
        dependents_per_bead integer NOT NULL DEFAULT 0,
        rigs integer NOT NULL DEFAULT 0
      )`);
    await q.query(`
      INSERT INTO town_bounds (town_id, beads_per_convoy, edges_per_convoy, blockers_per_bead, dependents_per_bead, rigs)
      SELECT t.id,
             COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM beads WHERE town_id = t.id GROUP BY convoy_id) b), 0),
             COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = t.id GROUP BY convoy_id) e), 0),
             COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = t.id GROUP BY bead_id) w), 0),
             COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = t.id GROUP BY depends_on_bead_id) d), 0),
             (SELECT count(*) FROM rigs WHERE town_id = t.id)
        FROM towns t`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE town_bounds`);
  }
}
