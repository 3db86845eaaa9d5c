import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { RigRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';
import { isUuid } from '../graphql/graphql.ids';

const RIG_BY_ID = Symbol('rigById');

@Injectable()
export class RigLoaders {
  constructor(private readonly db: DataSource) {}

  /** Rigs of the request's town by id; another town's rig reads as absent. */
  byId(ctx: GatewayContext): DataLoader<string, RigRow | null> {
    return ctx.loaders.get(
      RIG_BY_ID,
      () =>
        new DataLoader<string, RigRow | null>(async (ids) => {
          const rows = await this.db.getRepository(RigRow).findBy({ townId: ctx.town.id, id: In(ids.filter(isUuid)) });
          const byId = new Map(rows.map((r) => [r.id, r]));
          return ids.map((id) => byId.get(id) ?? null);
        }),
    );
  }
}
