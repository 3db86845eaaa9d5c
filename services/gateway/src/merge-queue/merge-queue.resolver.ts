import { Args, ID, Int, Parent, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { Bead } from '../bead/bead.model';
import { BeadLoaders } from '../bead/bead.loaders';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { DEFAULT_MERGE_QUEUE_PAGE, MAX_MERGE_QUEUE_PAGE } from '../graphql/graphql.cost';
import { apiError } from '../graphql/graphql.errors';
import { withChangeLoaders } from '../live/live.resolver';
import type { BeadRow, RigRow } from '../read-models/read-models.entities';
import { Rig } from '../rig/rig.model';
import { MergeQueueLoaders, type MergeQueueEntryView } from './merge-queue.loaders';
import { MergeQueueChange, MergeQueueEntry } from './merge-queue.model';
import { MergeQueueService, type MergeQueueChangeView } from './merge-queue.service';

const FIRST = {
  type: () => Int,
  defaultValue: DEFAULT_MERGE_QUEUE_PAGE,
  description: `The first this many of the queue, at most ${MAX_MERGE_QUEUE_PAGE}.`,
};

/** Priced at MAX_MERGE_QUEUE_PAGE at most (graphql.cost.ts), so no more is read. */
function page(first: number): number {
  if (!Number.isInteger(first) || first < 0) throw apiError('BAD_USER_INPUT', `first must be 0 or more (got ${first})`, { argument: 'first' });
  return Math.min(first, MAX_MERGE_QUEUE_PAGE);
}

@Resolver(() => Rig)
export class RigMergeQueueResolver {
  constructor(private readonly loaders: MergeQueueLoaders) {}

  @ResolveField(() => [MergeQueueEntry], { description: "The beads waiting in the rig's refinery queue, first in line first." })
  mergeQueue(@Ctx() ctx: GatewayContext, @Parent() rig: RigRow, @Args('first', FIRST) first: number): Promise<MergeQueueEntryView[]> {
    return this.loaders.byRig(ctx, page(first)).load(rig.id);
  }
}

@Resolver(() => MergeQueueEntry)
export class MergeQueueEntryResolver {
  constructor(private readonly beads: BeadLoaders) {}

  @ResolveField(() => Bead)
  async bead(@Ctx() ctx: GatewayContext, @Parent() entry: MergeQueueEntryView): Promise<BeadRow> {
    const bead = await this.beads.byId(ctx).load(entry.beadId);
    // Queue rows are written with their bead's and removed by no event that removes a bead.
    if (!bead) throw new Error(`bead ${entry.beadId} of the merge queue is not in the read models`);
    return bead;
  }
}

@Resolver(() => MergeQueueChange)
export class MergeQueueChangeResolver {
  constructor(
    private readonly loaders: MergeQueueLoaders,
    private readonly service: MergeQueueService,
  ) {}

  @ResolveField(() => [MergeQueueEntry], { description: 'The whole queue as of this decision or later, first in line first.' })
  entries(@Ctx() ctx: GatewayContext, @Parent() change: MergeQueueChangeView, @Args('first', FIRST) first: number): Promise<MergeQueueEntryView[]> {
    return this.loaders.byRig(ctx, page(first)).load(change.rigId);
  }

  @Subscription(() => MergeQueueChange, {
    description:
      "One rig's merge queue: first as it is now, then again after every decision of the town that may have changed it, always the whole queue " +
      '(up to `first`), so a client replaces what it shows and, after a lost connection, simply subscribes again.',
    resolve: withChangeLoaders,
  })
  mergeQueueChanged(@Ctx() ctx: GatewayContext, @Args('rigId', { type: () => ID }) rigId: string): Promise<AsyncIterableIterator<MergeQueueChangeView>> {
    return this.service.changes(ctx, rigId);
  }
}
