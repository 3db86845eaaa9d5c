import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BeadDependencyRow, BeadRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';
import { isUuid } from '../graphql/graphql.ids';

const BEAD_BY_ID = Symbol('beadById');
const BLOCKERS_BY_BEAD = Symbol('blockersByBead');
const DEPENDENTS_BY_BEAD = Symbol('dependentsByBead');

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

  /** The beads each bead waits for. */
  blockers(ctx: GatewayContext): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(BLOCKERS_BY_BEAD, () => this.neighbours(ctx, 'beadId', 'dependsOnBeadId'));
  }

  /** The beads that wait for each bead. */
  dependents(ctx: GatewayContext): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(DEPENDENTS_BY_BEAD, () => this.neighbours(ctx, 'dependsOnBeadId', 'beadId'));
  }

  /** One edge query per batch, then the far ends through byId, so beads already loaded are reused. */
  private neighbours(ctx: GatewayContext, from: EdgeEnd, to: EdgeEnd): DataLoader<string, BeadRow[]> {
    return new DataLoader<string, BeadRow[]>(async (beadIds) => {
      const townId = ctx.town.id;
      const ids = In([...beadIds]);
      const edges = await this.db
        .getRepository(BeadDependencyRow)
        .findBy(from === 'beadId' ? { townId, beadId: ids } : { townId, dependsOnBeadId: ids });
      const byId = this.byId(ctx);
      const ends = new Map<string, string[]>();
      for (const edge of edges) {
        const list = ends.get(edge[from]);
        if (list) list.push(edge[to]);
        else ends.set(edge[from], [edge[to]]);
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
