import { Args, ArgsType, Field, Float, Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Bead } from '../bead/bead.model';
import { Convoy } from '../convoy/convoy.model';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import type { BeadRow, ConvoyRow } from '../read-models/read-models.entities';
import type { HistoryEventView } from './history.event';
import { HistoryEvent } from './history.model';
import { DEFAULT_HISTORY_PAGE, HistoryService, MAX_HISTORY_PAGE } from './history.service';

@ArgsType()
export class HistoryArgs {
  @Field(() => Float, { nullable: true, description: 'Only events of decisions after this sequence (the last one a client saw).' })
  afterSequence?: number | null;

  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_HISTORY_PAGE,
    description: `Events per page, at most ${MAX_HISTORY_PAGE}; a page ends at a whole decision.`,
  })
  first?: number | null;
}

@Resolver(() => Convoy)
export class ConvoyHistoryResolver {
  constructor(private readonly history: HistoryService) {}

  @ResolveField(() => [HistoryEvent], { description: "The convoy's history, oldest first." })
  events(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow, @Args() page: HistoryArgs): Promise<HistoryEventView[]> {
    return this.history.ofConvoy(ctx, convoy.id, page);
  }
}

@Resolver(() => Bead)
export class BeadHistoryResolver {
  constructor(private readonly history: HistoryService) {}

  @ResolveField(() => [HistoryEvent], { description: 'The events about this bead, oldest first.' })
  events(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow, @Args() page: HistoryArgs): Promise<HistoryEventView[]> {
    return this.history.ofBead(ctx, bead.id, page);
  }
}
