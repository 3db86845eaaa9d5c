import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { BeadRow, ConvoyRow, RigRow } from '../read-models/read-models.entities';
import { Convoy } from '../convoy/convoy.model';
import { ConvoyLoaders } from '../convoy/convoy.loaders';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { DEFAULT_LINKS_PAGE, MAX_LINKS_PAGE } from '../graphql/graphql.cost';
import { apiError } from '../graphql/graphql.errors';
import { Rig } from '../rig/rig.model';
import { RigLoaders } from '../rig/rig.loaders';
import { BeadLoaders } from './bead.loaders';
import { Bead } from './bead.model';
import { BeadService } from './bead.service';

const LINKS_FIRST = {
  name: 'first',
  options: { type: () => Int, defaultValue: DEFAULT_LINKS_PAGE, description: `At most ${MAX_LINKS_PAGE}.` },
} as const;

function linksPage(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_LINKS_PAGE) {
    throw apiError('BAD_USER_INPUT', `first must be between 0 and ${MAX_LINKS_PAGE} (got ${first})`, { argument: 'first' });
  }
  return first;
}

const COMMAND_ID = { nullable: true, description: 'Idempotency key: a retry with the same id changes nothing more.' };

@Resolver(() => Bead)
export class BeadResolver {
  constructor(
    private readonly service: BeadService,
    private readonly loaders: BeadLoaders,
    private readonly convoyLoaders: ConvoyLoaders,
    private readonly rigLoaders: RigLoaders,
  ) {}

  @Query(() => Bead)
  bead(@Ctx() ctx: GatewayContext, @Args('id', { type: () => ID }) id: string): Promise<BeadRow> {
    return this.service.get(ctx, id);
  }

  @Mutation(() => Bead, { description: 'Makes beadId wait for dependsOnBeadId (same convoy; a cycle is refused).' })
  addDependency(
    @Ctx() ctx: GatewayContext,
    @Args('beadId', { type: () => ID }) beadId: string,
    @Args('dependsOnBeadId', { type: () => ID }) dependsOnBeadId: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<BeadRow> {
    return this.service.addDependency(ctx, beadId, dependsOnBeadId, commandId);
  }

  @Mutation(() => Bead)
  removeDependency(
    @Ctx() ctx: GatewayContext,
    @Args('beadId', { type: () => ID }) beadId: string,
    @Args('dependsOnBeadId', { type: () => ID }) dependsOnBeadId: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<BeadRow> {
    return this.service.removeDependency(ctx, beadId, dependsOnBeadId, commandId);
  }

  @Mutation(() => Bead, { description: 'Reopens a FAILED bead and releases the beads it held.' })
  retryBead(
    @Ctx() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<BeadRow> {
    return this.service.retry(ctx, id, commandId);
  }

  @ResolveField(() => Boolean, {
    description:
      "The refinery was granted this bead's merge push and its outcome is not recorded yet: git may already hold the merge. " +
      'In a CANCELLED convoy such a bead still lands (Convoy.mergesUnderWay); it reads CLOSED once the merge is recorded.',
  })
  mergeUnderWay(@Parent() bead: BeadRow): boolean {
    // A later review is a later attempt: only a claim on the attempt in review is under way.
    return bead.status === 'IN_REVIEW' && bead.mergeClaimedAttempt === bead.attempts;
  }

  @ResolveField(() => Convoy)
  async convoy(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow): Promise<ConvoyRow> {
    const convoy = await this.convoyLoaders.byId(ctx).load(bead.convoyId);
    if (!convoy) throw new Error(`bead ${bead.id} refers to convoy ${bead.convoyId}, which the read model lacks`);
    return convoy;
  }

  @ResolveField(() => Rig)
  async rig(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow): Promise<RigRow> {
    const rig = await this.rigLoaders.byId(ctx).load(bead.rigId);
    if (!rig) throw new Error(`bead ${bead.id} refers to rig ${bead.rigId}, which the read model lacks`);
    return rig;
  }

  @ResolveField(() => [Bead], { description: `The beads this one waits for, in plan order: the first ${DEFAULT_LINKS_PAGE} unless asked for more.` })
  blockedBy(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow, @Args(LINKS_FIRST.name, LINKS_FIRST.options) first: number): Promise<BeadRow[]> {
    return this.loaders.blockers(ctx, linksPage(first)).load(bead.id);
  }

  @ResolveField(() => [Bead], { description: `The beads that wait for this one, in plan order: the first ${DEFAULT_LINKS_PAGE} unless asked for more.` })
  blocks(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow, @Args(LINKS_FIRST.name, LINKS_FIRST.options) first: number): Promise<BeadRow[]> {
    return this.loaders.dependents(ctx, linksPage(first)).load(bead.id);
  }
}
