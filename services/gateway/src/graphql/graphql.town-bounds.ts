import { DataSource } from 'typeorm';
import type { TownBounds } from './graphql.cost';

/** Long enough to spare the database one aggregate per request, short enough that a new huge convoy is priced at once in practice. */
const FRESH_MS = 1_000;

/** The largest lists of each town (see TownBounds), read from the read models and kept for a second. */
export class TownBoundsReader {
  private readonly cache = new Map<string, { at: number; bounds: Promise<TownBounds> }>();

  constructor(
    private readonly db: DataSource,
    private readonly clock: () => number = Date.now,
  ) {}

  of(townId: string): Promise<TownBounds> {
    const now = this.clock();
    const cached = this.cache.get(townId);
    if (cached && now - cached.at < FRESH_MS) return cached.bounds;
    for (const [town, entry] of this.cache) if (now - entry.at >= FRESH_MS) this.cache.delete(town);
    const bounds = this.read(townId);
    this.cache.set(townId, { at: now, bounds });
    bounds.catch(() => this.cache.delete(townId));
    return bounds;
  }

  private async read(townId: string): Promise<TownBounds> {
    const [row] = await this.db.query<Record<string, string | number | null>[]>(
      `SELECT
         (SELECT max(n) FROM (SELECT count(*) AS n FROM beads WHERE town_id = $1 GROUP BY convoy_id) b) AS beads,
         (SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = $1 GROUP BY convoy_id) e) AS edges,
         (SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = $1 GROUP BY bead_id) w) AS blockers,
         (SELECT max(n) FROM (SELECT count(*) AS n FROM bead_dependencies WHERE town_id = $1 GROUP BY depends_on_bead_id) d) AS dependents,
         (SELECT count(*) FROM rigs WHERE town_id = $1) AS rigs`,
      [townId],
    );
    const count = (value: string | number | null | undefined) => Number(value ?? 0);
    return {
      beadsPerConvoy: count(row?.['beads']),
      edgesPerConvoy: count(row?.['edges']),
      blockersPerBead: count(row?.['blockers']),
      dependentsPerBead: count(row?.['dependents']),
      rigs: count(row?.['rigs']),
    };
  }
}
