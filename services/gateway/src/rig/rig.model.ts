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
  @Field(() => Int, { description: 'Beads the refinery merges one after another and checks once together (1 to 32).' }) mergeBatchMax!: number;
  @Field(() => Int, { description: 'Batches checked at once, each built on top of the one ahead of it (1 to 4).' }) speculativeDepth!: number;
  @Field(() => Int, { description: 'Check runs of the rig at once: speculative batches and bisection halves (1 to 8).' }) checkConcurrency!: number;
  @Field({ description: 'A failed check is run once more on the same tree; a pass then counts, reported as flaky.' }) retryFlakyChecks!: boolean;
}

export enum RigCredentialKind {
  HTTPS_TOKEN = 'https',
  SSH_KEY = 'ssh',
}
registerEnumType(RigCredentialKind, { name: 'RigCredentialKind', description: 'HTTPS_TOKEN: a token sent as basic authentication. SSH_KEY: a deploy key.' });

@ObjectType('RigCredentials', { description: "What can be shown of a rig's git credentials: never the token or the key." })
export class RigCredentialsModel {
  @Field(() => RigCredentialKind) kind!: RigCredentialKind;
  @Field(() => GraphQLISODateTime, { description: 'When they were given or last replaced.' }) setAt!: Date;
  @Field(() => String, { nullable: true, description: "HTTPS_TOKEN: the user name sent with the token." }) username!: string | null;
  @Field(() => String, { nullable: true, description: "SSH_KEY: the key's SHA256 fingerprint, as `ssh-keygen -l` prints it." })
  fingerprint!: string | null;
}

@ObjectType({ description: 'A git repository of the town that agents work in.' })
export class Rig {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field(() => RigConfigModel) config!: RigConfigModel;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => RigCredentialsModel, { nullable: true, description: 'Null when the remote is reached without credentials.' })
  credentials!: RigCredentialsModel | null;
}
