import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { AgentRow, RigRow } from '../read-models/read-models.entities';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { Rig } from '../rig/rig.model';
import { AgentLoaders } from './agent.loaders';
import { Agent } from './agent.model';

@Resolver(() => Rig)
export class RigAgentsResolver {
  constructor(private readonly loaders: AgentLoaders) {}

  @ResolveField(() => [Agent], { description: 'Its polecats: working first, then by name.' })
  agents(@Ctx() ctx: GatewayContext, @Parent() rig: RigRow): Promise<AgentRow[]> {
    return this.loaders.byRig(ctx).load(rig.id);
  }
}
