import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { RigRow } from '../read-models/read-models.entities';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';
import { RegisterRigInput, rigTextProblem } from './rig.inputs';
import { Rig } from './rig.model';
import { RigService } from './rig.service';

@Resolver(() => Rig)
export class RigResolver {
  constructor(private readonly service: RigService) {}

  @Query(() => [Rig], { description: "The town's rigs, by name." })
  rigs(@Ctx() ctx: GatewayContext): Promise<RigRow[]> {
    return this.service.list(ctx.town.id);
  }

  @Query(() => Rig)
  rig(@Ctx() ctx: GatewayContext, @Args('id', { type: () => ID }) id: string): Promise<RigRow> {
    return this.service.get(ctx, id);
  }

  @Mutation(() => Rig)
  registerRig(@Ctx() ctx: GatewayContext, @Args('input') input: RegisterRigInput): Promise<RigRow> {
    const problem = rigTextProblem(input);
    if (problem) throw apiError('BAD_USER_INPUT', problem.message, { argument: problem.argument });
    return this.service.register(ctx, input);
  }
}
