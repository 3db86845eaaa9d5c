import { Field, InputType, Int } from '@nestjs/graphql';
import { TEXT_LIMITS, textProblem } from '@gastown/contracts';
import { AgentKind, AgentStdin } from './rig.model';

@InputType()
export class AgentConfigInput {
  @Field(() => AgentKind) kind!: AgentKind;
  @Field({ nullable: true, description: "Required for PROFILE: the name of one of the operator's agent profiles." })
  profile?: string;
  @Field(() => [String], { nullable: true, description: 'Required for COMMAND: the argument vector, never a shell string.' })
  command?: string[];
  @Field(() => [String], { nullable: true }) passEnv?: string[];
  @Field(() => AgentStdin, { nullable: true }) stdin?: AgentStdin;
}

@InputType()
export class RigCheckInput {
  @Field() name!: string;
  @Field(() => [String]) command!: string[];
}

@InputType({ description: 'Every field is optional; the defaults are 4 polecats, the demo agent, 30 min per attempt, no checks.' })
export class RigConfigInput {
  @Field(() => Int, { nullable: true }) maxPolecats?: number;
  @Field(() => AgentConfigInput, { nullable: true }) agent?: AgentConfigInput;
  @Field(() => Int, { nullable: true }) agentTimeoutMs?: number;
  @Field(() => [RigCheckInput], { nullable: true }) checks?: RigCheckInput[];
  @Field(() => Int, { nullable: true }) checkTimeoutMs?: number;
  @Field({ nullable: true }) allowEmptyBeads?: boolean;
}

@InputType()
export class RegisterRigInput {
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field(() => RigConfigInput, { nullable: true }) config?: RigConfigInput;
  @Field({ nullable: true, description: 'Idempotency key: a retry with the same id registers nothing new.' })
  commandId?: string;
}

/**
 * The first text of a registration the convoy service would refuse (a NUL or an invisible
 * character in the name, the branch or the URL), found before the remote is probed or a command
 * sent; the town decider checks again and stays the authority.
 */
export function rigTextProblem(input: Pick<RegisterRigInput, 'name' | 'gitUrl' | 'defaultBranch'>): { argument: string; message: string } | null {
  const fields = [
    ['name', input.name, TEXT_LIMITS.name],
    ['gitUrl', input.gitUrl, Infinity],
    ['defaultBranch', input.defaultBranch, TEXT_LIMITS.branch],
  ] as const;
  for (const [argument, value, max] of fields) {
    const problem = textProblem(argument, value, 'line', max);
    if (problem) return { argument, message: problem.message };
  }
  return null;
}
