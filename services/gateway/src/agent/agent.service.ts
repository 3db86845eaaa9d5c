import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AgentRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';
import { notFound } from '../graphql/graphql.errors';
import { RigLoaders } from '../rig/rig.loaders';
import { AgentLoaders, byWorkThenName } from './agent.loaders';

@Injectable()
export class AgentService {
  constructor(
    private readonly db: DataSource,
    private readonly loaders: AgentLoaders,
    private readonly rigLoaders: RigLoaders,
  ) {}

  /** The town's agents, or one rig's; a rig of another town is not found, like any other lookup. */
  async list(ctx: GatewayContext, rigId?: string | null): Promise<AgentRow[]> {
    if (rigId === undefined || rigId === null) {
      const rows = await this.db.getRepository(AgentRow).findBy({ townId: ctx.town.id });
      return rows.sort(byWorkThenName);
    }
    if (!(await this.rigLoaders.byId(ctx).load(rigId))) throw notFound('rig', rigId);
    return this.loaders.byRig(ctx).load(rigId);
  }
}
