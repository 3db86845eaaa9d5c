import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BeadRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';
import { isUuid } from '../graphql/graphql.ids';

const BEAD_BY_ID = Symbol('beadById');

type EdgeEnd = 'beadId' | 'dependsOnBeadId';

@Injectable()
export class BeadLoaders {
  constructor(private readonly db: DataSource) {}

  /** Beads of the request's town by id; another town's bead reads as absent. */
  byId(ctx: GatewayContext): DataLoader<string, BeadRow | null> {
    return ctx.loaders.get(
      BEAD_BY_ID,
      () =>
        new DataLoader<string, BeadRow | null>(async (ids) => {
          const rows = await this.db.getRepository(BeadRow).findBy({ townId: ctx.town.id, id: In(ids.filter(isUuid)) });
          const byId = new Map(rows.map((r) => [r.id, r]));
          return ids.map((id) => byId.get(id) ?? null);
        }),
    );
  }

  /** The first `first` beads (in plan order) each bead waits for. */
  blockers(ctx: GatewayContext, first: number): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(Symbol.for(`blockersByBead:${first}`), () => this.neighbours(ctx, 'beadId', 'dependsOnBeadId', first));
  }

  /** The first `first` beads (in plan order) that wait for each bead. */
  dependents(ctx: GatewayContext, first: number): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(Symbol.for(`dependentsByBead:${first}`), () => this.neighbours(ctx, 'dependsOnBeadId', 'beadId', first));
  }

  /**
   * One edge query per batch, cut to `first` per bead in the database (a bead may be linked to
   * every other bead of a 10,000-task convoy), then the far ends through byId, so beads already
   * loaded are reused.
   */
  private neighbours(ctx: GatewayContext, from: EdgeEnd, to: EdgeEnd, first: number): DataLoader<string, BeadRow[]> {
    const column = { beadId: 'bead_id', dependsOnBeadId: 'depends_on_bead_id' } as const;
    return new DataLoader<string, BeadRow[]>(async (beadIds) => {
      const edges: { from: string; to: string }[] = await this.db.query(
        `SELECT ranked.from_id AS "from", ranked.to_id AS "to" FROM (
           SELECT d.${column[from]} AS from_id, d.${column[to]} AS to_id,
                  row_number() OVER (PARTITION BY d.${column[from]} ORDER BY b.idx) AS n
             FROM bead_dependencies d
             JOIN beads b ON b.id = d.${column[to]} AND b.town_id = d.town_id
            WHERE d.town_id = $1 AND d.${column[from]} = ANY($2::uuid[])
         ) ranked
         WHERE ranked.n <= $3`,
        [ctx.town.id, beadIds.filter(isUuid), first],
      );
      const byId = this.byId(ctx);
      const ends = new Map<string, string[]>();
      for (const edge of edges) {
        const list = ends.get(edge.from);
        if (list) list.push(edge.to);
        else ends.set(edge.from, [edge.to]);
      }
      return Promise.all(
        beadIds.map(async (id) => {
          const beads = await Promise.all((ends.get(id) ?? []).map((end) => byId.load(end)));
          return beads.filter((b): b is BeadRow => b !== null).sort((a, b) => a.idx - b.idx);
        }),
      );
    });
  }
}
