import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BeadAttemptRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';

const ATTEMPTS_BY_BEAD = Symbol('attemptsByBead');

@Injectable()
export class BeadAttemptLoaders {
  constructor(private readonly db: DataSource) {}

  /** Each bead's attempts, oldest first: one query for every bead of a response. */
  byBead(ctx: GatewayContext): DataLoader<string, BeadAttemptRow[]> {
    return ctx.loaders.get(
      ATTEMPTS_BY_BEAD,
      () =>
        new DataLoader<string, BeadAttemptRow[]>(async (beadIds) => {
          const rows = await this.db
            .getRepository(BeadAttemptRow)
            .find({ where: { townId: ctx.town.id, beadId: In([...beadIds]) }, order: { beadId: 'ASC', number: 'ASC' } });
          const byBead = new Map<string, BeadAttemptRow[]>();
          for (const row of rows) {
            const list = byBead.get(row.beadId);
            if (list) list.push(row);
            else byBead.set(row.beadId, [row]);
          }
          return beadIds.map((id) => byBead.get(id) ?? []);
        }),
    );
  }
}
