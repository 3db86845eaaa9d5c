import { Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { BeadAttemptRow, BeadRow } from '../read-models/read-models.entities';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { BeadAttempt } from './bead-attempt.model';
import { BeadAttemptLoaders } from './bead-attempt.loaders';
import { Bead } from './bead.model';

@Resolver(() => Bead)
export class BeadAttemptResolver {
  constructor(private readonly loaders: BeadAttemptLoaders) {}

  @ResolveField(() => [BeadAttempt], { description: 'Every attempt, oldest first.' })
  attempts(@Ctx() ctx: GatewayContext, @Parent() bead: BeadRow): Promise<BeadAttemptRow[]> {
    return this.loaders.byBead(ctx).load(bead.id);
  }

  @ResolveField(() => Int, { description: 'How many times the bead was dispatched.' })
  attemptCount(@Parent() bead: BeadRow): number {
    return bead.attempts;
  }
}
