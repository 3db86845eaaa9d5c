import { DataSource } from 'typeorm';
import type { TownBounds } from './graphql.cost';

/**
 * The largest lists of each town (see TownBounds), as the projector keeps them in town_bounds
 * with the rows themselves: read per request by primary key, so a convoy is priced at its real
 * size as soon as a query can read it.
 */
export class TownBoundsReader {
  constructor(private readonly db: DataSource) {}

  async of(townId: string): Promise<TownBounds> {
    const [row] = await this.db.query<TownBounds[]>(
      `SELECT beads_per_convoy AS "beadsPerConvoy", edges_per_convoy AS "edgesPerConvoy", blockers_per_bead AS "blockersPerBead",
              dependents_per_bead AS "dependentsPerBead", rigs
         FROM town_bounds WHERE town_id = $1`,
      [townId],
    );
    return row ?? { beadsPerConvoy: 0, edgesPerConvoy: 0, blockersPerBead: 0, dependentsPerBead: 0, rigs: 0 };
  }
}
