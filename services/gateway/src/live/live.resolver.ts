import { Args, Float, ID, Resolver, Subscription } from '@nestjs/graphql';
import { Ctx, type GatewayContext, type RequestLoaders } from '../graphql/graphql.context';
import type { ChangeFeed } from './live.feed';
import { BeadChange, ConvoyChange } from './live.model';
import { LiveService, type BeadChangeView, type ConvoyChangeView, type SharedLoaders } from './live.service';

const AFTER_SEQUENCE = {
  type: () => Float,
  nullable: true,
  description: 'Replay every change after this sequence first, then go on live; without it, only new changes.',
};

/**
 * A subscription's context lives as long as the subscription; its loaders must not answer a
 * change from rows they cached for an earlier one. Each change brings its own, which every
 * subscriber of the town resolving that change shares (SharedLoaders); one subscription's changes
 * are resolved one at a time, so swapping them on its context is safe.
 */
export function withChangeLoaders<T extends SharedLoaders>(payload: T, _args: unknown, ctx: GatewayContext): T {
  (ctx as { loaders: RequestLoaders }).loaders = payload.loaders;
  return payload;
}

@Resolver()
export class LiveResolver {
  constructor(private readonly live: LiveService) {}

  @Subscription(() => ConvoyChange, {
    description: 'One convoy, or every convoy of the town without convoyId. afterSequence: replay every change after it first (resume).',
    resolve: withChangeLoaders,
  })
  convoyChanged(
    @Ctx() ctx: GatewayContext,
    @Args('convoyId', { type: () => ID, nullable: true }) convoyId: string | null,
    @Args('afterSequence', AFTER_SEQUENCE) afterSequence: number | null,
  ): Promise<ChangeFeed<ConvoyChangeView>> {
    return this.live.convoyChanges(ctx, convoyId ?? null, afterSequence ?? null);
  }

  @Subscription(() => BeadChange, { description: 'Every change of one bead.', resolve: withChangeLoaders })
  beadChanged(
    @Ctx() ctx: GatewayContext,
    @Args('beadId', { type: () => ID }) beadId: string,
    @Args('afterSequence', AFTER_SEQUENCE) afterSequence: number | null,
  ): Promise<ChangeFeed<BeadChangeView>> {
    return this.live.beadChanges(ctx, beadId, afterSequence ?? null);
  }
}
