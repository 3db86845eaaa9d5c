import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { AgentRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';

const AGENTS_BY_RIG = Symbol('agentsByRig');

/** Working first, then by name (then id, since every rig has its own Nux). */
export function byWorkThenName(a: AgentRow, b: AgentRow): number {
  if (a.status !== b.status) return a.status === 'WORKING' ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0;
}

@Injectable()
export class AgentLoaders {
  constructor(private readonly db: DataSource) {}

  /** The agents of each rig of the request's town. */
  byRig(ctx: GatewayContext): DataLoader<string, AgentRow[]> {
    return ctx.loaders.get(
      AGENTS_BY_RIG,
      () =>
        new DataLoader<string, AgentRow[]>(async (rigIds) => {
          const rows = await this.db.getRepository(AgentRow).findBy({ townId: ctx.town.id, rigId: In([...rigIds]) });
          return rigIds.map((rigId) => rows.filter((r) => r.rigId === rigId).sort(byWorkThenName));
        }),
    );
  }
}
