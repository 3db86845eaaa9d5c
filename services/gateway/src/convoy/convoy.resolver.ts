import { Args, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { wavesById } from '@gastown/dag';
import type { BeadDependencyRow, BeadRow, ConvoyRow, RigRow } from '../read-models/read-models.entities';
import { Bead } from '../bead/bead.model';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { DEFAULT_UNDER_WAY_PAGE } from '../graphql/graphql.cost';
import { apiError } from '../graphql/graphql.errors';
import { isUuid } from '../graphql/graphql.ids';
import { decodeEdgeCursor, encodeEdgeCursor } from './convoy.cursor';
import { Rig } from '../rig/rig.model';
import { RigLoaders } from '../rig/rig.loaders';
import { ConvoysArgs, SlingBatchInput, SlingInput, TaskInput } from './convoy.inputs';
import { ConvoyLoaders } from './convoy.loaders';
import { Convoy, ConvoyConnection, ConvoyProgress, DependencyEdge, RigLanding } from './convoy.model';
import { rigLandingsOf } from './convoy.landings';
import { ConvoyPage, ConvoyService, type ClosedConvoy } from './convoy.service';

function checkFirst(first: number | null | undefined): void {
  if (first !== undefined && first !== null && (!Number.isInteger(first) || first < 0)) {
    throw apiError('BAD_USER_INPUT', `first must be 0 or more (got ${first})`, { argument: 'first' });
  }
}

function checkRigId(rigId: string | null | undefined): void {
  if (rigId !== undefined && rigId !== null && !isUuid(rigId)) throw apiError('BAD_USER_INPUT', `rigId must be a rig's id (got ${rigId})`, { argument: 'rigId' });
}

const COMMAND_ID = { nullable: true, description: 'Idempotency key: a retry with the same id changes nothing more.' };

@Resolver(() => Convoy)
export class ConvoyResolver {
  constructor(
    private readonly service: ConvoyService,
    private readonly loaders: ConvoyLoaders,
    private readonly rigLoaders: RigLoaders,
  ) {}

  @Query(() => ConvoyConnection, { description: "The town's convoys, newest first." })
  convoys(@Ctx() ctx: GatewayContext, @Args() args: ConvoysArgs): Promise<ConvoyPage> {
    return this.service.list(ctx, args);
  }

  @Query(() => Convoy)
  convoy(@Ctx() ctx: GatewayContext, @Args('id', { type: () => ID }) id: string): Promise<ConvoyRow> {
    return this.service.get(ctx, id);
  }

  @Mutation(() => Convoy, { description: 'Plans a convoy from tasks whose dependsOn indices form a DAG.' })
  slingBatch(@Ctx() ctx: GatewayContext, @Args('input') input: SlingBatchInput): Promise<ConvoyRow> {
    return this.service.slingBatch(ctx, input);
  }

  @Mutation(() => Convoy, { description: 'A convoy of one task.' })
  sling(@Ctx() ctx: GatewayContext, @Args('input') input: SlingInput): Promise<ConvoyRow> {
    return this.service.sling(ctx, input);
  }

  @Mutation(() => Convoy, { description: 'Appends tasks; their dependsOn indices may point at existing beads.' })
  addTasks(
    @Ctx() ctx: GatewayContext,
    @Args('convoyId', { type: () => ID }) convoyId: string,
    @Args('tasks', { type: () => [TaskInput] }) tasks: TaskInput[],
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<ConvoyRow> {
    return this.service.addTasks(ctx, convoyId, tasks, commandId);
  }

  @Mutation(() => Convoy, { description: 'Releases a staged convoy: its unblocked beads become ready.' })
  startConvoy(
    @Ctx() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<ConvoyRow> {
    return this.service.start(ctx, id, commandId);
  }

  @Mutation(() => Convoy, {
    description:
      'Cancels the convoy and every bead not yet closed, and stops its agents. A merge or landing whose push was already granted cannot be called back: ' +
      'the answer lists them in mergesUnderWay and landingsUnderWay; they still land unless that push fails, and the history will show them merged or landed. Nothing else of the convoy is merged or landed after this answer.',
  })
  closeConvoy(
    @Ctx() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<ClosedConvoy> {
    return this.service.close(ctx, id, reason, commandId);
  }

  @Mutation(() => Convoy, {
    description:
      'Lands the rigs a FAILED landing did not land, with a fresh landing budget, once its cause is fixed (a half-landed convoy, or a single-rig landing that failed). Rigs that LANDED stay landed and are not landed twice. CONFLICT when the convoy is not FAILED with every bead CLOSED; BAD_USER_INPUT for a REVIEW_AND_MERGE convoy.',
  })
  retryLanding(
    @Ctx() ctx: GatewayContext,
    @Args('convoyId', { type: () => ID }) convoyId: string,
    @Args('commandId', COMMAND_ID) commandId?: string,
  ): Promise<ConvoyRow> {
    return this.service.retryLanding(ctx, convoyId, commandId);
  }

  @ResolveField(() => [RigLanding])
  landings(@Parent() convoy: ConvoyRow): RigLanding[] {
    return rigLandingsOf(convoy);
  }

  @ResolveField(() => [Bead], {
    description:
      'Beads of this CANCELLED convoy whose merge push was granted before the close and is not recorded yet: git may already hold them, so they still land, ' +
      'and the history will show them merged (BeadMerged; BeadMergeAborted only if the push fails). Nothing else of a closed convoy is merged. ' +
      "Empty unless the convoy is CANCELLED. closeConvoy's answer lists every merge its close found under way, also one whose outcome was recorded meanwhile (it then reads CLOSED, or CANCELLED if its push failed). In plan order.",
  })
  mergesUnderWay(
    @Ctx() ctx: GatewayContext,
    @Parent() convoy: ConvoyRow | ClosedConvoy,
    @Args('first', { type: () => Int, defaultValue: DEFAULT_UNDER_WAY_PAGE, description: 'At most this many (a handful is usual: one per rig being pushed).' }) first: number,
  ): BeadRow[] | Promise<BeadRow[]> {
    checkFirst(first);
    if ('closeAnswer' in convoy) return convoy.closeAnswer.mergesUnderWay.slice(0, first);
    if (convoy.status !== 'CANCELLED') return [];
    return this.loaders.mergesUnderWay(ctx, first).load(convoy.id);
  }

  @ResolveField(() => [RigLanding], {
    description:
      "Rigs of this CANCELLED convoy whose landing push was granted before the close and is not recorded yet (PUSHING): git may already hold them, so they still land on the rig's default branch, " +
      "and the history will show them landed (RigLanded; RigLandingAborted only if the push fails). No other rig of a closed convoy lands. Empty unless the convoy is CANCELLED. " +
      "closeConvoy's answer lists every landing its close found under way, also one whose outcome was recorded meanwhile (it then reads LANDED, or FAILED if its push failed).",
  })
  landingsUnderWay(@Parent() convoy: ConvoyRow | ClosedConvoy): RigLanding[] {
    const landings = rigLandingsOf(convoy);
    if ('closeAnswer' in convoy) return landings.filter((l) => convoy.closeAnswer.landingsUnderWay.includes(l.rigId));
    if (convoy.status !== 'CANCELLED') return [];
    return landings.filter((l) => l.status === 'PUSHING');
  }

  @ResolveField(() => String, {
    nullable: true,
    description: "The default rig's feature branch; null in REVIEW_AND_MERGE, where beads merge straight to the default branch.",
  })
  featureBranch(@Parent() convoy: ConvoyRow): string | null {
    if (convoy.mergeMode === 'REVIEW_AND_MERGE') return null;
    return convoy.featureBranches.find((b) => b.rigId === convoy.defaultRigId)?.branch ?? null;
  }

  @ResolveField(() => Float, {
    description:
      'The stream sequence of the newest decision this convoy shows: subscribe to convoyChanged with it as afterSequence to follow on from here without a gap (read it before the fields you display).',
  })
  sequence(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<number> {
    return this.loaders.sequence(ctx).load(convoy.id);
  }

  @ResolveField(() => ConvoyProgress)
  progress(
    @Ctx() ctx: GatewayContext,
    @Parent() convoy: ConvoyRow,
    @Args('rigId', { type: () => ID, nullable: true, description: 'Only the beads on this rig.' }) rigId?: string | null,
  ): Promise<ConvoyProgress> {
    checkRigId(rigId);
    return this.loaders.progress(ctx, rigId ?? null).load(convoy.id);
  }

  @ResolveField(() => [Bead], { description: 'In plan order; every bead unless first is given. Page with first and after (the last id of the previous page).' })
  beads(
    @Ctx() ctx: GatewayContext,
    @Parent() convoy: ConvoyRow,
    @Args('first', { type: () => Int, nullable: true, description: 'Only the first beads in plan order (after `after`).' }) first?: number | null,
    @Args('after', { type: () => ID, nullable: true, description: 'Only the beads after this bead of the convoy, in plan order.' }) after?: string | null,
    @Args('rigId', { type: () => ID, nullable: true, description: 'Only the beads on this rig.' }) rigId?: string | null,
  ): Promise<BeadRow[]> {
    checkFirst(first);
    if (after !== undefined && after !== null && !isUuid(after)) {
      throw apiError('BAD_USER_INPUT', `after must be the id of a bead of the convoy (got ${after})`, { argument: 'after' });
    }
    checkRigId(rigId);
    return this.loaders.beads(ctx, first ?? null, after ?? null, rigId ?? null).load(convoy.id);
  }

  @ResolveField(() => [DependencyEdge], {
    description: 'In (beadId, dependsOnBeadId) order; every edge unless first is given. Page with first and after (the cursor of the last edge of the previous page).',
  })
  dependencyEdges(
    @Ctx() ctx: GatewayContext,
    @Parent() convoy: ConvoyRow,
    @Args('first', { type: () => Int, nullable: true, description: 'Only the first edges (after `after`).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'Only the edges after the edge with this cursor.' }) after?: string | null,
  ): Promise<BeadDependencyRow[]> {
    checkFirst(first);
    const from = after === undefined || after === null ? null : decodeEdgeCursor(after);
    if (after && !from) throw apiError('BAD_USER_INPUT', 'after is not a cursor of a dependency edge', { argument: 'after' });
    if ((first === undefined || first === null) && from === null) return this.loaders.edges(ctx).load(convoy.id);
    // Without first, a cursor pages to the end: the static cost already priced the whole list.
    return this.loaders.edgesPage(ctx, first ?? Number.MAX_SAFE_INTEGER, from).load(convoy.id);
  }

  @ResolveField(() => [[ID]], {
    description: 'Bead ids by wave: every bead sits in a later wave than each bead it depends on.',
  })
  async waves(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<string[][]> {
    const [beads, edges] = await Promise.all([this.loaders.beads(ctx).load(convoy.id), this.loaders.edges(ctx).load(convoy.id)]);
    return wavesById(
      beads.map((b) => b.id),
      edges,
    );
  }

  @ResolveField(() => [Rig], { description: 'Every rig that holds a bead of the convoy.' })
  async rigs(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<RigRow[]> {
    const loader = this.rigLoaders.byId(ctx);
    const rigs = await Promise.all(convoy.rigIds.map((id) => loader.load(id)));
    return rigs.filter((rig): rig is RigRow => rig !== null);
  }
}

@Resolver(() => DependencyEdge)
export class DependencyEdgeResolver {
  @ResolveField(() => String)
  cursor(@Parent() edge: BeadDependencyRow): string {
    return encodeEdgeCursor(edge);
  }
}
