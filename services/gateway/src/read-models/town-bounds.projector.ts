import type { GastownEvent } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';

/**
 * Raises the town's largest lists (town_bounds) to what this commit made, in the transaction that
 * writes the rows, so a query is never priced below what it can read. The bounds only grow: a
 * removed dependency leaves them as they were, which overprices a little and never underprices.
 */
export async function raiseTownBounds(tx: EntityManager, events: readonly GastownEvent[]): Promise<void> {
  const convoys = new Map<string, string>();
  const rigTowns = new Set<string>();
  for (const e of events) {
    if ((e.type === 'BeadCreated' || e.type === 'DependencyAdded') && e.convoyId) convoys.set(e.convoyId, e.townId);
    else if (e.type === 'RigRegistered') rigTowns.add(e.townId);
  }
  for (const [convoyId, townId] of convoys) {
    // Counted over the one convoy the commit changed: its beads are kept on the convoy row, its edges are indexed by convoy.
    await tx.query(
      `INSERT INTO town_bounds AS t (town_id, beads_per_convoy, edges_per_convoy, blockers_per_bead, dependents_per_bead)
       SELECT $1,
              (SELECT bead_count FROM convoys WHERE id = $2),
              (SELECT count(*) FROM bead_dependencies WHERE convoy_id = $2),
              COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE convoy_id = $2 GROUP BY bead_id) w), 0),
              COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE convoy_id = $2 GROUP BY depends_on_bead_id) d), 0)
       ON CONFLICT (town_id) DO UPDATE SET
         beads_per_convoy = GREATEST(t.beads_per_convoy, EXCLUDED.beads_per_convoy),
         edges_per_convoy = GREATEST(t.edges_per_convoy, EXCLUDED.edges_per_convoy),
         blockers_per_bead = GREATEST(t.blockers_per_bead, EXCLUDED.blockers_per_bead),
         dependents_per_bead = GREATEST(t.dependents_per_bead, EXCLUDED.dependents_per_bead)`,
      [townId, convoyId],
    );
  }
  for (const townId of rigTowns) {
    await tx.query(
      `INSERT INTO town_bounds AS t (town_id, rigs) SELECT $1, count(*) FROM rigs WHERE town_id = $1
       ON CONFLICT (town_id) DO UPDATE SET rigs = EXCLUDED.rigs`,
      [townId],
    );
  }
}
