import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { RigRow } from '../read-models/read-models.entities';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';
import { RegisterRigInput, rigCredentials, RigCredentialsInput, rigTextProblem, SetRigCredentialsInput } from './rig.inputs';
import { Rig, RigCredentialsModel, type RigCredentialKind } from './rig.model';
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
    return this.service.register(ctx, input, input.credentials ? checkedCredentials(input.credentials) : undefined);
  }

  @Mutation(() => Rig, {
    description: "Gives the rig git credentials or replaces its own (rotation), once a git-runner has read the rig's default branch with them.",
  })
  setRigCredentials(@Ctx() ctx: GatewayContext, @Args('input') input: SetRigCredentialsInput): Promise<RigRow> {
    return this.service.setCredentials(ctx, input.rigId, checkedCredentials(input.credentials), input.commandId);
  }

  @Mutation(() => Rig, { description: "Removes the rig's git credentials: the runner reaches its remote without any from its next command on." })
  clearRigCredentials(
    @Ctx() ctx: GatewayContext,
    @Args('rigId', { type: () => ID }) rigId: string,
    @Args('commandId', { type: () => String, nullable: true }) commandId?: string | null,
  ): Promise<RigRow> {
    return this.service.clearCredentials(ctx, rigId, commandId);
  }

  @ResolveField(() => RigCredentialsModel, { nullable: true })
  credentials(@Parent() rig: RigRow): RigCredentialsModel | null {
    if (rig.credentialsKind === null || rig.credentialsSetAt === null) return null;
    return {
      kind: rig.credentialsKind as RigCredentialKind,
      setAt: rig.credentialsSetAt,
      username: rig.credentialsUsername,
      fingerprint: rig.credentialsFingerprint,
    };
  }
}

/** Checked before anything is sealed or probed: BAD_USER_INPUT on the path the client wrote. */
function checkedCredentials(input: RigCredentialsInput) {
  const checked = rigCredentials(input);
  if ('message' in checked) throw apiError('BAD_USER_INPUT', checked.message, { argument: checked.argument });
  return checked.credentials;
}
