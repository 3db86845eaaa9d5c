import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum AgentKind {
  DEMO = 'demo',
  PROFILE = 'profile',
  COMMAND = 'command',
}
registerEnumType(AgentKind, {
  name: 'AgentKind',
  description:
    "DEMO: the built-in agent (no LLM). PROFILE: one of the operator's agent profiles, named in `profile`. " +
    'COMMAND: a program of the town run in the worktree, refused unless the operator enabled town commands (single-tenant installs).',
});

export enum AgentStdin {
  NONE = 'none',
  PROMPT = 'prompt',
}
registerEnumType(AgentStdin, { name: 'AgentStdin', description: 'PROMPT: the prompt file is the standard input of the agent.' });

@ObjectType({ description: 'Which agent works on the beads of a rig.' })
export class AgentConfigModel {
  @Field(() => AgentKind) kind!: AgentKind;
  @Field({ nullable: true, description: "For PROFILE: the name of the operator's agent profile." })
  profile?: string;
  @Field(() => [String], { nullable: true, description: 'Argument vector; {prompt} is the prompt file, {workdir} the worktree.' })
  command?: string[];
  @Field(() => [String], { nullable: true, description: "Names of the git-runner's environment variables handed to the agent." })
  passEnv?: string[];
  @Field(() => AgentStdin, { nullable: true }) stdin?: AgentStdin;
}

@ObjectType({ description: 'A command run on every merge result before anything is pushed.' })
export class RigCheckModel {
  @Field() name!: string;
  @Field(() => [String]) command!: string[];
}

@ObjectType()
export class RigConfigModel {
  @Field(() => Int) maxPolecats!: number;
  @Field(() => AgentConfigModel) agent!: AgentConfigModel;
  @Field(() => Int) agentTimeoutMs!: number;
  @Field(() => [RigCheckModel]) checks!: RigCheckModel[];
  @Field(() => Int) checkTimeoutMs!: number;
  @Field() mergeStrategy!: string;
  @Field() allowEmptyBeads!: boolean;
}

@ObjectType({ description: 'A git repository of the town that agents work in.' })
export class Rig {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field(() => RigConfigModel) config!: RigConfigModel;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}
