import { Args, GraphQLISODateTime, ID, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { AgentRow, BeadRow } from '../read-models/read-models.entities';
import { Bead } from '../bead/bead.model';
import { BeadLoaders } from '../bead/bead.loaders';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { AgentHeartbeats } from './agent.heartbeats';
import { Agent } from './agent.model';
import { AgentService } from './agent.service';

@Resolver(() => Agent)
export class AgentResolver {
  constructor(
    private readonly service: AgentService,
    private readonly beads: BeadLoaders,
    private readonly heartbeats: AgentHeartbeats,
  ) {}

  @Query(() => [Agent], { description: "Polecats seen on the town's rigs (or one rig): working first, then by name." })
  agents(@Ctx() ctx: GatewayContext, @Args('rigId', { type: () => ID, nullable: true }) rigId?: string | null): Promise<AgentRow[]> {
    return this.service.list(ctx, rigId);
  }

  @ResolveField(() => ID)
  id(@Parent() agent: AgentRow): string {
    return agent.agentId;
  }

  @ResolveField(() => Bead, { nullable: true, description: 'The bead it works on; null when idle.' })
  async currentBead(@Ctx() ctx: GatewayContext, @Parent() agent: AgentRow): Promise<BeadRow | null> {
    return agent.currentBeadId ? this.beads.byId(ctx).load(agent.currentBeadId) : null;
  }

  @ResolveField(() => GraphQLISODateTime, {
    nullable: true,
    description: "The git-runner's last heartbeat for the current attempt; null when idle or never seen.",
  })
  lastHeartbeatAt(@Ctx() ctx: GatewayContext, @Parent() agent: AgentRow): Promise<Date | null> | null {
    if (agent.status !== 'WORKING' || !agent.currentBeadId || agent.currentAttempt === null) return null;
    return this.heartbeats.loader(ctx).load(`${agent.currentBeadId}:${agent.currentAttempt}`);
  }
}
